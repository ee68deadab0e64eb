// A config with no namespaces at all (runtime-tools' linux_ns_itype): every namespace is the
// runtime's, and without a mount namespace root.path is still the process's `/`, by chroot.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class NoMountNamespaceTests: IntegrationTestCase {
    private let nsFiles = ["cgroup", "ipc", "mnt", "net", "pid", "user", "uts"]

    private func link(_ path: String) -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "unreadable: \(path)"
    }

    /// Nothing can be mounted (it would be in the host's namespace): no mounts, no /dev set up,
    /// no masked paths; only the image's own files.
    private func bundleWithoutNamespaces(_ args: [String]) throws -> TestBundle {
        let bundle = try makeBundle(args)
        bundle.config["linux.namespaces"] = [[String: Any]]()
        bundle.config["hostname"] = nil
        bundle.config["mounts"] = [[String: Any]]()
        bundle.config["linux.maskedPaths"] = nil
        bundle.config["linux.readonlyPaths"] = nil
        try bundle.writeRootfsFile("chroot-marker", "inside\n")
        return bundle
    }

    func testCreateInheritsEveryNamespaceAndChrootsIntoTheRootfs() throws {
        let bundle = try bundleWithoutNamespaces(["sleep", "30"])
        let id = newID()
        let pid = try create(bundle, id: id)
        for file in nsFiles {
            XCTAssertEqual(link("/proc/\(pid)/ns/\(file)"), link("/proc/self/ns/\(file)"), "\(file) namespace")
        }
        XCTAssertEqual(link("/proc/\(pid)/root"), bundle.rootfs, "init's root is not the bundle's rootfs")

        try start(id)
        try waitForStatus(id, "running")
        XCTAssertEqual(link("/proc/\(pid)/root"), bundle.rootfs)
        XCTAssertEqual(try String(contentsOfFile: "/proc/\(pid)/root/chroot-marker", encoding: .utf8), "inside\n")
        XCTAssertEqual(Subprocess.read("/proc/\(pid)/cmdline"), "sleep\u{0}30\u{0}")
        XCTAssertTrue(try runtime(["kill", id, "KILL"]).succeeded)
        try waitForStatus(id, "stopped")
        try delete(id)
        assertNoLeaks()
    }

    func testRunSeesTheRootfsAsSlash() throws {
        let bundle = try bundleWithoutNamespaces(["cat", "/chroot-marker"])
        let result = try run(bundle)
        XCTAssertEqual(result.exitCode, 0, "\(result)")
        XCTAssertEqual(result.stdout, "inside\n", "\(result)")
        assertNoLeaks()
    }
}
