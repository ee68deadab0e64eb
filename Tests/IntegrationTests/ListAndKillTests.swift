// `list` with containers it cannot read, and `kill`'s signal grammar, both as runc 1.5 has them.
import Foundation
import XCTest

final class ListAndKillTests: IntegrationTestCase {
    func testListWarnsAboutUnreadableContainersAndListsTheRest() throws {
        let bundle = try makeBundle(["sleep", "30"])
        let good = newID("good"), corrupt = newID("corrupt"), unfinished = newID("unfinished")
        try create(bundle, id: good)
        try FileManager.default.createDirectory(atPath: stateRoot + "/" + corrupt, withIntermediateDirectories: false)
        try "{\"id\": ".write(toFile: stateRoot + "/" + corrupt + "/state.json", atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: stateRoot + "/" + unfinished, withIntermediateDirectories: false)

        for args in [["list", "-q"], ["list"], ["list", "--format", "json"]] {
            let result = try runtime(args)
            XCTAssertTrue(result.succeeded, "\(result)")
            XCTAssertTrue(result.stdout.contains(good), "\(result)")
            XCTAssertFalse(result.stdout.contains(corrupt) || result.stdout.contains(unfinished), "\(result)")
            let warnings = result.stderr.split(separator: "\n")
            XCTAssertEqual(warnings.count, 2, "\(result)")
            XCTAssertTrue(warnings.contains { $0.hasPrefix("load container \(corrupt): ") && $0.contains("corrupt state file") },
                          "\(result)")
            XCTAssertTrue(warnings.contains { $0.hasPrefix("load container \(unfinished): ") && $0.contains("is missing") },
                          "\(result)")
        }
        // The warnings are on stderr even when the log goes to a file.
        let logged = try runtime(["list", "-q"], global: ["--log", workDir + "/list.log"])
        XCTAssertEqual(logged.stderr.split(separator: "\n").count, 2, "\(logged)")
        try delete(good, force: true)
        try delete(corrupt, force: true)
        try delete(unfinished, force: true)
        assertNoLeaks()
    }

    func testSignalZeroProbesInitAndBadSignalsAreRefused() throws {
        let bundle = try makeBundle(["sleep", "30"])
        let id = newID()
        let pid = try create(bundle, id: id)

        let probe = try runtime(["kill", id, "0"])
        XCTAssertTrue(probe.succeeded, "\(probe)")
        XCTAssertTrue(processAlive(pid))
        XCTAssertEqual(try self.state(id)["status"] as? String, "created")

        let unknown = try runtime(["kill", id, "SIGFOO"])
        XCTAssertEqual(unknown.exitCode, 1, "\(unknown)")
        XCTAssertTrue(unknown.stderr.contains("unknown signal") && unknown.stderr.contains("SIGFOO"), "\(unknown)")
        for number in ["65", "-1"] {
            let refused = try runtime(["kill", id, number])
            XCTAssertEqual(refused.exitCode, 1, "\(refused)")
            XCTAssertTrue(refused.stderr.contains("unable to signal init") && refused.stderr.contains("invalid argument"),
                          "\(refused)")
        }
        let tooMany = try runtime(["kill", id, "9", "9"])
        XCTAssertEqual(tooMany.exitCode, 1, "\(tooMany)")
        XCTAssertTrue(tooMany.stderr.contains("requires a maximum of 2 argument(s)"), "\(tooMany)")
        XCTAssertTrue(processAlive(pid), "a refused kill must not signal")

        XCTAssertTrue(try runtime(["kill", id, "9"]).succeeded)
        try waitForStatus(id, "stopped")
        let stopped = try runtime(["kill", id, "0"])
        XCTAssertEqual(stopped.exitCode, 1, "\(stopped)")
        XCTAssertTrue(stopped.stderr.contains("container not running"), "\(stopped)")
        // --all is obsolete in runc 1.5 but still makes a stopped container no error.
        let all = try runtime(["kill", "--all", id, "0"])
        XCTAssertTrue(all.succeeded, "\(all)")
        try delete(id)
        assertNoLeaks()
    }

    func testSignalSpellingsAllReachInit() throws {
        let bundle = try makeBundle(["sleep", "30"])
        // TERM, SIGTERM and 15 are LifecycleTests'; these are the other spellings engines send.
        for spelling in ["SIGKILL", "KILL", "kill", "9", "+9"] {
            let id = newID(spelling)
            let pid = try create(bundle, id: id)
            let result = try runtime(["kill", id, spelling])
            XCTAssertTrue(result.succeeded, "\(result)")
            try waitForStatus(id, "stopped")
            XCTAssertFalse(processAlive(pid), spelling)
            try delete(id)
        }
        assertNoLeaks()
    }

    /// Without a pid namespace of its own, init's death does not take the others with it:
    /// SIGKILL goes to every process of the container's cgroup, as runc sends it.
    func testKillInTheHostPidNamespaceReachesEveryProcess() throws {
        let bundle = try makeBundle(["sh", "-c", "sleep 60 & echo $! > /share/child.tmp && mv /share/child.tmp /share/child; exec sleep 60"])
        bundle.config.removeNamespace("pid")
        shareInto(bundle)
        let id = newID()
        let pid = try create(bundle, id: id)
        try start(id)
        XCTAssertTrue(waitForShared("child"), "the container did not start its child")
        let child = Int32(shared("child").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        XCTAssertTrue(child > 0 && processAlive(child), "child \(child)")

        let result = try runtime(["kill", id, "KILL"])
        XCTAssertTrue(result.succeeded, "\(result)")
        try waitForStatus(id, "stopped")
        let deadline = Date().addingTimeInterval(5)
        while processAlive(child) && Date() < deadline { usleep(10_000) }
        XCTAssertFalse(processAlive(pid))
        XCTAssertFalse(processAlive(child), "a process of the container outlived kill KILL")
        try delete(id)
        assertNoLeaks()
    }
}
