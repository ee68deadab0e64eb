// linux.namespaces: new ones, joined ones (by path), user namespace id maps, time namespace
// offsets, cgroup namespace root; compared through /proc/PID/ns links and the container's view.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class NamespaceTests: IntegrationTestCase {
    /// config.json namespace type -> /proc/PID/ns file name.
    private let nsFiles = ["pid": "pid", "network": "net", "ipc": "ipc", "uts": "uts", "mount": "mnt",
                           "cgroup": "cgroup", "user": "user", "time": "time"]

    private func nsLink(_ pid: String, _ file: String) -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/\(file)")) ?? "unreadable"
    }

    func testEachNewNamespaceDiffersFromTheHostsAndOthersAreShared() throws {
        let bundle = try makeBundle(["sleep", "30"])
        let configured = Set(bundle.config.namespaceTypes)
        XCTAssertEqual(configured, ["pid", "network", "ipc", "uts", "mount", "cgroup"], "base config changed")
        let id = newID()
        let pid = try create(bundle, id: id)
        for (type, file) in nsFiles {
            let host = nsLink("self", file), container = nsLink("\(pid)", file)
            if configured.contains(type) {
                XCTAssertNotEqual(container, host, "\(type) namespace was not unshared")
            } else {
                XCTAssertEqual(container, host, "\(type) namespace is not in the config but differs")
            }
        }
        try delete(id, force: true)
        assertNoLeaks()
    }

    func testOmittedNamespaceIsTheHosts() throws {
        let bundle = try makeBundle(["sh", "-c", "readlink /proc/self/ns/net; readlink /proc/self/ns/uts"])
        bundle.config.removeNamespace("network")
        bundle.config.removeNamespace("uts")
        bundle.config["hostname"] = nil
        // sysfs needs a network namespace of its own; without one it is bound from the host.
        bundle.config.removeMount(destination: "/sys/fs/cgroup")
        bundle.config.removeMount(destination: "/sys")
        XCTAssertEqual(try output(bundle), nsLink("self", "net") + "\n" + nsLink("self", "uts") + "\n")
        assertNoLeaks()
    }

    func testJoinNamespacesOfAnotherContainerByPath() throws {
        let first = try makeBundle(["sleep", "30"], name: "first")
        let firstID = newID("first")
        let firstPID = try create(first, id: firstID)

        let second = try makeBundle(["sh", "-c", "readlink /proc/self/ns/net; readlink /proc/self/ns/ipc; hostname"],
                                    name: "second")
        second.config["hostname"] = "second"
        second.config.setNamespace("network", path: "/proc/\(firstPID)/ns/net")
        second.config.setNamespace("ipc", path: "/proc/\(firstPID)/ns/ipc")
        let out = try output(second)
        XCTAssertEqual(out, nsLink("\(firstPID)", "net") + "\n" + nsLink("\(firstPID)", "ipc") + "\nsecond\n")
        XCTAssertNotEqual(nsLink("\(firstPID)", "net"), nsLink("self", "net"))
        try delete(firstID, force: true)
        assertNoLeaks()
    }

    func testJoinNamedNetworkNamespace() throws {
        let name = token + "-netns"
        let add = try host(["ip", "netns", "add", name])
        guard add.succeeded else { return XCTFail("ip netns add: \(add)") }
        defer { _ = try? host(["ip", "netns", "delete", name]) }
        let path = "/run/netns/" + name
        guard let expected = try? nsIdentity(path) else { return XCTFail("no \(path)") }

        let bundle = try makeBundle(["sh", "-c", "readlink /proc/self/ns/net; ip -o link | cut -d: -f2"])
        bundle.config.setNamespace("network", path: path)
        let lines = try output(bundle).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertEqual(lines.first, expected)
        XCTAssertEqual(Array(lines.dropFirst()), ["lo"], "a fresh named netns has only lo")
        _ = try host(["ip", "netns", "delete", name])
        assertNoLeaks()
    }

    /// A new network namespace is made by init's first stage before the cgroups exist when no
    /// user namespace must own it, and in the clone otherwise: either way the container gets a
    /// namespace of its own with only `lo`, and `lo` up.
    func testNewNetworkNamespaceHasOnlyLoopbackUp() throws {
        for withUserNamespace in [false, true] {
            let bundle = try makeBundle(["sh", "-c", "readlink /proc/self/ns/net; ip -o link | cut -d: -f2,3"],
                                        name: withUserNamespace ? "userns" : "plain")
            if withUserNamespace {
                bundle.config.setNamespace("user")
                bundle.config["linux.uidMappings"] = [["containerID": 0, "hostID": 100_000, "size": 65536]]
                bundle.config["linux.gidMappings"] = [["containerID": 0, "hostID": 100_000, "size": 65536]]
                // sysfs of a network namespace owned by another user namespace needs its own
                // mount rights; these checks only need /proc.
                bundle.config.removeMount(destination: "/sys/fs/cgroup")
                bundle.config.removeMount(destination: "/sys")
            }
            let lines = try output(bundle).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            XCTAssertEqual(lines.count, 2, "user namespace \(withUserNamespace): \(lines)")
            XCTAssertNotEqual(lines.first, nsLink("self", "net"), "user namespace \(withUserNamespace): not unshared")
            let link = lines.dropFirst().first ?? ""
            XCTAssertTrue(link.hasPrefix("lo:"), "user namespace \(withUserNamespace): \(link)")
            XCTAssertTrue(link.contains(",UP") || link.contains("<UP"), "user namespace \(withUserNamespace): lo is down: \(link)")
        }
        assertNoLeaks()
    }

    /// "net:[inode]" of an nsfs file, as readlink of /proc/PID/ns/net prints it.
    private func nsIdentity(_ path: String) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { throw SpawnError(description: "stat \(path)") }
        return "net:[\(info.st_ino)]"
    }

    func testUserNamespaceWithIDMappings() throws {
        let bundle = try makeBundle(["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map > /share/maps; "
                                        + "id -u > /share/id.tmp; mv /share/id.tmp /share/id; while [ ! -e /share/go ]; do sleep 0.02; done"])
        shareInto(bundle)
        bundle.config.setNamespace("user")
        bundle.config["linux.uidMappings"] = [["containerID": 0, "hostID": 100_000, "size": 65536]]
        bundle.config["linux.gidMappings"] = [["containerID": 0, "hostID": 200_000, "size": 1000]]
        let id = newID()
        let pid = try create(bundle, id: id)
        XCTAssertNotEqual(nsLink("\(pid)", "user"), nsLink("self", "user"))
        let status = Subprocess.read("/proc/\(pid)/status")
        XCTAssertEqual(statusField("Uid", in: status)?.split(separator: "\t").first, "100000", status)
        XCTAssertEqual(statusField("Gid", in: status)?.split(separator: "\t").first, "200000", status)
        try start(id)
        XCTAssertTrue(waitForShared("id"), "the container wrote nothing")
        let maps = shared("maps").split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        XCTAssertEqual(maps, [["0", "100000", "65536"], ["0", "200000", "1000"]], shared("maps"))
        XCTAssertEqual(shared("id"), "0\n")
        _ = FileManager.default.createFile(atPath: shareDir + "/go", contents: nil)
        try waitForStatus(id, "stopped")
        try delete(id)
        assertNoLeaks()
    }

    func testTimeNamespaceOffsets() throws {
        let bundle = try makeBundle(["cat", "/proc/self/timens_offsets", "/proc/uptime"])
        bundle.config.setNamespace("time")
        bundle.config["linux.timeOffsets"] = ["monotonic": ["secs": 86400, "nanosecs": 0],
                                              "boottime": ["secs": 172_800, "nanosecs": 500]]
        let hostUptime = uptime(Subprocess.read("/proc/uptime"))
        let lines = try output(bundle).split(separator: "\n").map(String.init)
        XCTAssertEqual(Set(lines.prefix(2).map { $0.split(separator: " ").map(String.init) }),
                       [["monotonic", "86400", "0"], ["boottime", "172800", "500"]], "\(lines)")
        let shifted = uptime(lines.last ?? "")
        XCTAssertGreaterThan(shifted, hostUptime + 172_800 - 1, "uptime inside \(shifted), host \(hostUptime)")
        XCTAssertLessThan(shifted, hostUptime + 172_800 + 30)
        assertNoLeaks()
    }

    /// Init's first stage clones the container's init into its own memory, which the kernel
    /// refuses while a time namespace waits for the children: with one, new (create) or joined
    /// (exec), the clone is a copy. Both must still work, with the offsets in force.
    func testExecIntoATimeNamespace() throws {
        let bundle = try makeBundle(["sleep", "30"])
        bundle.config.setNamespace("time")
        bundle.config["linux.timeOffsets"] = ["boottime": ["secs": 172_800, "nanosecs": 0]]
        let id = newID()
        let pid = try create(bundle, id: id)
        try start(id)
        let result = try runtime(["exec", id, "cat", "/proc/self/timens_offsets"])
        XCTAssertTrue(result.succeeded, "\(result)")
        let rows = result.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        XCTAssertTrue(rows.contains(["boottime", "172800", "0"]), "\(result)")
        XCTAssertNotEqual(nsLink("\(pid)", "time"), nsLink("self", "time"), "time namespace was not unshared")
        try delete(id, force: true)
        assertNoLeaks()
    }

    private func uptime(_ text: String) -> Double {
        Double(text.split(separator: " ").first ?? "") ?? -1
    }

    func testCgroupNamespaceShowsRoot() throws {
        let bundle = try makeBundle(["cat", "/proc/self/cgroup"])
        let lines = try output(bundle).split(separator: "\n")
        XCTAssertFalse(lines.isEmpty)
        for line in lines {
            XCTAssertTrue(line.hasSuffix(":/"), "cgroup path inside a cgroup namespace: \(line)")
        }
        assertNoLeaks()
    }

    func testPidNamespaceSeesOnlyItsOwnProcesses() throws {
        let bundle = try makeBundle(["sh", "-c", "echo $$; ls /proc | grep -E '^[0-9]+$' | sort -n | tr '\\n' ' '"])
        let lines = try output(bundle).split(separator: "\n")
        XCTAssertEqual(lines.first, "1")
        let pids = lines.dropFirst().first?.split(separator: " ").compactMap { Int($0) } ?? []
        // sh (1), and ls, grep, sort, tr of the pipeline.
        XCTAssertTrue(pids.contains(1) && pids.count <= 5, "\(pids)")
        assertNoLeaks()
    }
}
