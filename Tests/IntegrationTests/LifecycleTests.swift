// create / start / state / kill / delete / run, read back from `state`, /proc and the
// container's own writes into a bind-mounted host directory.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class LifecycleTests: IntegrationTestCase {
    /// A process that waits for /share/go, then writes /share/done and exits 0.
    private let waitForGo = ["sh", "-c", "while [ ! -e /share/go ]; do sleep 0.02; done; echo done > /share/done"]

    /// A process that traps TERM (pid 1 of a pid namespace ignores signals it has no handler
    /// for), records it in /share/<name>, and exits 0.
    private func termTrap(_ name: String) -> [String] {
        ["sh", "-c", "trap 'echo TERM > /share/\(name); exit 0' TERM; echo ready > /share/\(name).ready; "
            + "while :; do sleep 0.02; done"]
    }

    func testRunPrintsOutputAndReturnsExitCode() throws {
        let bundle = try makeBundle(["sh", "-c", "echo hi; echo to-stderr >&2; exit 3"])
        let result = try run(bundle)
        XCTAssertEqual(result.exitCode, 3, "\(result)")
        XCTAssertEqual(result.stdout, "hi\n", "\(result)")
        XCTAssertTrue(result.stderr.contains("to-stderr"), "\(result)")
        assertNoLeaks("after run")
    }

    func testRunZeroExit() throws {
        let bundle = try makeBundle(["true"])
        let result = try run(bundle)
        XCTAssertEqual(result.termination, Termination(waitStatus: 0), "\(result)")
        assertNoLeaks("after run")
    }

    func testRunKilledFromOutsideExits128PlusSignal() throws {
        let bundle = try makeBundle(["sleep", "30"])
        try bundle.save()
        let id = newID()
        let running = try startRuntime(["run", "--bundle", bundle.path, id])
        try waitForStatus(id, "running")
        let kill = try runtime(["kill", id, "KILL"])
        XCTAssertTrue(kill.succeeded, "\(kill)")
        let result = running.wait(timeout: 10)
        XCTAssertEqual(result.exitCode, 128 + SIGKILL, "\(result)")
        assertNoLeaks("after run was killed")
    }

    func testRunProcessKilledBySignalItSentItself() throws {
        // Without a pid namespace the shell is not an init and its own SIGUSR1 kills it.
        let bundle = try makeBundle(["sh", "-c", "kill -USR1 $$; sleep 5"])
        bundle.config.removeNamespace("pid")
        let result = try run(bundle)
        XCTAssertEqual(result.exitCode, 128 + SIGUSR1, "\(result)")
        assertNoLeaks("after run")
    }

    func testFullLifecycle() throws {
        let bundle = try makeBundle(waitForGo)
        shareInto(bundle)
        let id = newID()
        let pidFile = workDir + "/pidfile"
        let pid = try create(bundle, id: id, flags: ["--pid-file", pidFile])

        let state = try self.state(id)
        XCTAssertGreaterThan(pid, 0)
        XCTAssertEqual(state["id"] as? String, id)
        XCTAssertEqual(state["bundle"] as? String, bundle.path)
        XCTAssertNotNil(state["ociVersion"] as? String, "\(state)")
        XCTAssertEqual(Subprocess.read(pidFile).trimmingCharacters(in: .whitespacesAndNewlines), "\(pid)")
        XCTAssertTrue(processAlive(pid), "the created container's pid \(pid) is not alive")
        let status = Subprocess.read("/proc/\(pid)/status")
        let nspid = status.split(separator: "\n").first { $0.hasPrefix("NSpid:") }?
            .split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().map(String.init) ?? []
        XCTAssertEqual(nspid, ["\(pid)", "1"], "NSpid of the container process: \(nspid)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: shareDir + "/done"), "the process ran before start")

        try start(id)
        try waitForStatus(id, "running")
        XCTAssertEqual(try self.state(id)["pid"] as? NSNumber, NSNumber(value: pid))

        _ = FileManager.default.createFile(atPath: shareDir + "/go", contents: nil)
        try waitForStatus(id, "stopped")
        XCTAssertEqual(shared("done"), "done\n")

        try delete(id)
        let after = try runtime(["state", id])
        XCTAssertFalse(after.succeeded, "state after delete: \(after)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + id), "state dir kept")
        assertNoLeaks("after delete")
    }

    func testKillAcceptsSignalNameWithAndWithoutPrefixAndNumber() throws {
        for (n, signal) in ["TERM", "SIGTERM", "15"].enumerated() {
            let bundle = try makeBundle(termTrap("sig\(n)"), name: "bundle\(n)")
            shareInto(bundle)
            let id = newID("kill\(n)")
            try create(bundle, id: id)
            try start(id)
            XCTAssertTrue(waitForShared("sig\(n).ready"), "trap not installed")
            let kill = try runtime(["kill", id, signal])
            XCTAssertTrue(kill.succeeded, "kill \(signal): \(kill)")
            try waitForStatus(id, "stopped")
            XCTAssertEqual(shared("sig\(n)"), "TERM\n", "signal given as \(signal)")
            try delete(id)
        }
        assertNoLeaks("after kill and delete")
    }

    func testKillDefaultsToTerm() throws {
        let bundle = try makeBundle(termTrap("sig"))
        shareInto(bundle)
        let id = newID()
        try create(bundle, id: id)
        try start(id)
        XCTAssertTrue(waitForShared("sig.ready"))
        let kill = try runtime(["kill", id])
        XCTAssertTrue(kill.succeeded, "\(kill)")
        try waitForStatus(id, "stopped")
        XCTAssertEqual(shared("sig"), "TERM\n")
        try delete(id)
        assertNoLeaks()
    }

    func testKillAllReachesEveryProcess() throws {
        // The init ignores TERM (no handler, pid 1); only --all reaches its children, after
        // which `wait` returns and it records that.
        let bundle = try makeBundle(["sh", "-c", "sleep 100 & sleep 100 & echo ready > /share/ready; wait; "
                                        + "echo children-gone > /share/after; while :; do sleep 0.02; done"])
        shareInto(bundle)
        let id = newID()
        try create(bundle, id: id)
        try start(id)
        XCTAssertTrue(waitForShared("ready"))
        let kill = try runtime(["kill", "--all", id, "TERM"])
        XCTAssertTrue(kill.succeeded, "\(kill)")
        XCTAssertTrue(waitForShared("after"), "the container's other processes did not get TERM from kill --all")
        let killInit = try runtime(["kill", "--all", id, "KILL"])
        XCTAssertTrue(killInit.succeeded, "\(killInit)")
        try waitForStatus(id, "stopped")
        try delete(id)
        assertNoLeaks()
    }

    func testDeleteOfRunningNeedsForce() throws {
        let bundle = try makeBundle(["sleep", "30"])
        let id = newID()
        let pid = try create(bundle, id: id)
        try start(id)
        try waitForStatus(id, "running")

        let refused = try runtime(["delete", id])
        XCTAssertEqual(refused.exitCode, 1, "\(refused)")
        XCTAssertTrue(refused.stderr.contains("running"), "message should say the container is running: \(refused)")
        XCTAssertEqual(try state(id)["status"] as? String, "running")
        XCTAssertTrue(processAlive(pid))

        let forced = try runtime(["delete", "--force", id])
        XCTAssertTrue(forced.succeeded, "\(forced)")
        XCTAssertFalse(processAlive(pid), "delete --force left the process \(pid) alive")
        XCTAssertFalse(try runtime(["state", id]).succeeded)
        assertNoLeaks("after delete --force")
    }

    func testDeleteForceOfCreatedContainer() throws {
        let bundle = try makeBundle(["true"])
        let id = newID()
        let pid = try create(bundle, id: id)
        let forced = try runtime(["delete", "--force", id])
        XCTAssertTrue(forced.succeeded, "\(forced)")
        XCTAssertFalse(processAlive(pid))
        assertNoLeaks("after delete --force of a created container")
    }

    func testDeleteOfMissingID() throws {
        let id = newID("missing")
        let forced = try runtime(["delete", "--force", id])
        XCTAssertEqual(forced.exitCode, 0, "delete --force of a missing id: \(forced)")
        let plain = try runtime(["delete", id])
        XCTAssertEqual(plain.exitCode, 1, "delete of a missing id: \(plain)")
        XCTAssertTrue(plain.stderr.contains("does not exist"), "\(plain)")
    }

    func testStartTwiceFails() throws {
        let bundle = try makeBundle(["sleep", "30"])
        let id = newID()
        try create(bundle, id: id)
        try start(id)
        try waitForStatus(id, "running")
        let again = try runtime(["start", id])
        XCTAssertNotEqual(again.exitCode, 0, "second start: \(again)")
        XCTAssertFalse(again.stderr.isEmpty, "second start gave no reason")
        XCTAssertEqual(try state(id)["status"] as? String, "running")
        try delete(id, force: true)
        assertNoLeaks()
    }

    func testStartOfStoppedContainerFails() throws {
        let bundle = try makeBundle(["true"])
        let id = newID()
        try create(bundle, id: id)
        try start(id)
        try waitForStatus(id, "stopped")
        let again = try runtime(["start", id])
        XCTAssertNotEqual(again.exitCode, 0, "start of a stopped container: \(again)")
        try delete(id)
        assertNoLeaks()
    }

    func testUnknownIDFailsWithDoesNotExist() throws {
        let id = newID("nosuch")
        for command in [["state", id], ["start", id], ["kill", id, "KILL"]] {
            let result = try runtime(command)
            XCTAssertNotEqual(result.exitCode, 0, "\(result)")
            XCTAssertTrue(result.stderr.contains("does not exist"), "\(command[0]): \(result)")
        }
        assertNoLeaks()
    }

    func testDuplicateIDFailsAndKeepsTheFirst() throws {
        let first = try makeBundle(["sleep", "30"], name: "first")
        let second = try makeBundle(["sleep", "30"], name: "second")
        let id = newID()
        let pid = try create(first, id: id)
        try second.save()
        let duplicate = try runtime(["create", "--bundle", second.path, id])
        XCTAssertNotEqual(duplicate.exitCode, 0, "\(duplicate)")
        XCTAssertTrue(duplicate.stderr.contains("already exists"), "\(duplicate)")

        let state = try self.state(id)
        XCTAssertEqual(state["status"] as? String, "created")
        XCTAssertEqual(state["pid"] as? NSNumber, NSNumber(value: pid))
        XCTAssertEqual(state["bundle"] as? String, first.path)
        XCTAssertTrue(processAlive(pid))
        try start(id)
        try waitForStatus(id, "running")
        try delete(id, force: true)
        assertNoLeaks()
    }

    func testListShowsContainers() throws {
        let bundle = try makeBundle(["sleep", "30"])
        let a = newID("a"), b = newID("b")
        try create(bundle, id: a)
        try create(bundle, id: b)
        try start(b)
        try waitForStatus(b, "running")

        let quiet = try runtime(["list", "-q"])
        XCTAssertTrue(quiet.succeeded, "\(quiet)")
        XCTAssertEqual(Set(quiet.stdout.split(separator: "\n").map(String.init)), [a, b], "\(quiet)")

        let json = try runtime(["list", "--format", "json"])
        XCTAssertTrue(json.succeeded, "\(json)")
        let list = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]] ?? []
        var statuses: [String: String] = [:]
        for entry in list { statuses[entry["id"] as? String ?? "?"] = entry["status"] as? String }
        XCTAssertEqual(statuses, [a: "created", b: "running"], "\(json)")
        try delete(a, force: true)
        try delete(b, force: true)
        assertNoLeaks()
    }

    func testKillOfACreatedContainerStopsIt() throws {
        let bundle = try makeBundle(["sleep", "30"])
        let id = newID()
        let pid = try create(bundle, id: id)
        let kill = try runtime(["kill", id, "KILL"])
        XCTAssertTrue(kill.succeeded, "\(kill)")
        try waitForStatus(id, "stopped")
        XCTAssertFalse(processAlive(pid))
        try delete(id)
        assertNoLeaks()
    }

    func testDeleteOfACreatedContainerNeedsNoForce() throws {
        // runc kills and deletes a container that never started; engines rely on it to clean up
        // after a failed start.
        let bundle = try makeBundle(["sleep", "30"])
        let id = newID()
        let pid = try create(bundle, id: id)
        try delete(id)
        XCTAssertFalse(processAlive(pid))
        assertNoLeaks()
    }

    func testKillOfAStoppedContainerFails() throws {
        let bundle = try makeBundle(["true"])
        let id = newID()
        try create(bundle, id: id)
        try start(id)
        try waitForStatus(id, "stopped")
        let kill = try runtime(["kill", id, "KILL"])
        XCTAssertNotEqual(kill.exitCode, 0, "runtime-spec: kill of a stopped container is an error: \(kill)")
        try delete(id)
        assertNoLeaks()
    }

    func testProcessKilledFromTheHostShowsStoppedAndCannotStart() throws {
        let bundle = try makeBundle(["sleep", "30"])
        let id = newID()
        let pid = try create(bundle, id: id)
        kill(pid, SIGKILL)
        try waitForStatus(id, "stopped")
        let start = try runtime(["start", id])
        XCTAssertNotEqual(start.exitCode, 0, "start of a container whose init died: \(start)")
        try delete(id)
        assertNoLeaks()
    }

    /// Without a pid namespace killing the init does not take the others with it: the runtime
    /// has to find them (in the container's cgroup).
    func testDeleteForceWithoutPidNamespaceKillsEveryProcess() throws {
        let bundle = try makeBundle(["sh", "-c", "sleep 100 & sleep 100 & echo ready > /share/ready; wait"])
        bundle.config.removeNamespace("pid")
        shareInto(bundle)
        let id = newID()
        try create(bundle, id: id)
        try start(id)
        XCTAssertTrue(waitForShared("ready"))
        XCTAssertEqual(LeakSnapshot.processesMentioning(token, excluding: []).count, 3, "sh and two sleeps")
        try delete(id, force: true)
        assertNoLeaks("after delete --force")
    }

    func testKillAllWithoutPidNamespace() throws {
        let bundle = try makeBundle(["sh", "-c", "sleep 100 & sleep 100 & echo ready > /share/ready; wait"])
        bundle.config.removeNamespace("pid")
        shareInto(bundle)
        let id = newID()
        try create(bundle, id: id)
        try start(id)
        XCTAssertTrue(waitForShared("ready"))
        let kill = try runtime(["kill", "--all", id, "KILL"])
        XCTAssertTrue(kill.succeeded, "\(kill)")
        try waitForStatus(id, "stopped")
        let deadline = Date().addingTimeInterval(3)
        while Date() < deadline && !LeakSnapshot.processesMentioning(token, excluding: []).isEmpty { usleep(20_000) }
        XCTAssertEqual(LeakSnapshot.processesMentioning(token, excluding: []), [], "kill --all missed processes")
        try delete(id)
        assertNoLeaks()
    }
}
