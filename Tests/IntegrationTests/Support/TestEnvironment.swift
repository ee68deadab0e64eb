// Where the binary under test and the bundle script are, and whether these tests can run here.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

enum TestEnvironment {
    /// The package root: this file is at <root>/Tests/IntegrationTests/Support/.
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `SWIFTLET` names the runtime binary (any runc-compatible CLI); default: <root>/bin/swiftlet.
    static let runtimePath: String = {
        if let path = ProcessInfo.processInfo.environment["SWIFTLET"], !path.isEmpty { return path }
        return packageRoot + "/bin/swiftlet"
    }()

    /// Runc itself is accepted as the binary under test; a few assertions differ only in
    /// wording that swiftlet chose on purpose and are marked where they are made.
    static var runtimeName: String { (runtimePath as NSString).lastPathComponent }

    static let bundleScript = packageRoot + "/scripts/mkbundle.sh"

    static let busybox: String = ProcessInfo.processInfo.environment["BUSYBOX"] ?? "/bin/busybox"

    /// Skips (visibly) when the suite cannot run: not root, or no binary to test.
    static func requireRunnable() throws {
        guard geteuid() == 0 else {
            throw XCTSkip("integration tests start real containers and need root (euid \(geteuid()))")
        }
        guard access(runtimePath, X_OK) == 0 else {
            throw XCTSkip("no runtime binary at \(runtimePath): run `make` or set SWIFTLET")
        }
        guard access(busybox, X_OK) == 0 else {
            throw XCTSkip("no static busybox at \(busybox): install busybox-static or set BUSYBOX")
        }
    }

    /// The caller's cgroup path per v1 hierarchy (keyed by the controller list, e.g. "cpu",
    /// "name=systemd") and for the v2 hierarchy (key "").
    static func ownCgroups(pid: String = "self") -> [String: String] {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { return [:] }
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            result[String(parts[1])] = String(parts[2])
        }
        return result
    }

    /// Mount points of cgroup hierarchies, keyed like `ownCgroups` ("" for cgroup2).
    static func cgroupMounts() -> [String: String] {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return [:] }
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { continue }
            let left = halves[0].split(separator: " "), right = halves[1].split(separator: " ")
            guard left.count >= 5, right.count >= 3 else { continue }
            let mountPoint = String(left[4])
            if right[0] == "cgroup2" {
                result[""] = mountPoint
            } else if right[0] == "cgroup" {
                let options = right[2].split(separator: ",").map(String.init)
                let known = ["rw", "ro", "relatime", "nosuid", "nodev", "noexec", "clone_children", "xattr"]
                let controllers = options.filter { !known.contains($0) && !$0.hasPrefix("release_agent") }
                result[controllers.joined(separator: ",")] = mountPoint
            }
        }
        return result
    }
}
