import Foundation
import XCTest
@testable import Cgroups

/// Helpers for tests on this machine's real cgroups (root only). Every cgroup goes below a
/// per-test-process parent in the caller's own cgroup of each hierarchy, removed afterwards.
enum RealCgroups {
    static var isRoot: Bool { getuid() == 0 }

    static let parentName = "swiftlet-cgtest-\(getpid())"

    /// Removes the test parent from every hierarchy (and everything below it).
    static func removeParent(_ layout: CgroupLayout) {
        for controller in layout.mountedControllers + [""] {
            guard let caller = layout.callerDirectory(for: controller) else { continue }
            try? CgroupTree.remove(CgroupPath.join(caller, parentName))
        }
    }

    /// A long-running child process to put into cgroups.
    static func spawnSleeper() throws -> Foundation.Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["300"]
        try process.run()
        return process
    }

    static func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    /// Waits (up to 5 s) for a killed child to be reaped.
    static func waitForExit(_ process: Foundation.Process, file: StaticString = #filePath, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        XCTAssertFalse(process.isRunning, "process \(process.processIdentifier) still running", file: file, line: line)
    }
}
