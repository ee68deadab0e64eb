// `run` in the foreground: stdio passed through, signals forwarded, the bundle taken from the
// working directory, relative paths, a state root that does not exist yet.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class RunTests: IntegrationTestCase {
    func testStdinIsPassedThrough() throws {
        let bundle = try makeBundle(["sh", "-c", "cat; echo; cat /proc/self/fd/0 | wc -c"])
        try bundle.save()
        let input = workDir + "/input"
        try "input-data".write(toFile: input, atomically: false, encoding: .utf8)
        let result = try runtime(["run", "--bundle", bundle.path, newID()], stdin: input)
        XCTAssertEqual(result.exitCode, 0, "\(result)")
        XCTAssertTrue(result.stdout.hasPrefix("input-data\n"), "\(result)")
        assertNoLeaks()
    }

    func testLargeOutputArrivesWhole() throws {
        let bundle = try makeBundle(["sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' x; echo; echo end"])
        let result = try run(bundle)
        XCTAssertEqual(result.exitCode, 0, "\(result.termination) \(result.stderr)")
        XCTAssertEqual(result.stdout.utf8.count, 3_000_000 + 5, "stdout length")
        XCTAssertTrue(result.stdout.hasSuffix("x\nend\n"))
        assertNoLeaks()
    }

    func testSignalsToTheRuntimeAreForwardedToTheProcess() throws {
        let bundle = try makeBundle(["sh", "-c", "trap 'echo got-term > /share/term; exit 0' TERM; "
                                        + "echo ready > /share/ready; while :; do sleep 0.02; done"])
        shareInto(bundle)
        try bundle.save()
        let id = newID()
        let running = try startRuntime(["run", "--bundle", bundle.path, id])
        XCTAssertTrue(waitForShared("ready"))
        kill(running.pid, SIGTERM)
        let result = running.wait(timeout: 10)
        XCTAssertEqual(shared("term"), "got-term\n", "TERM sent to `run` did not reach the container")
        XCTAssertEqual(result.exitCode, 0, "\(result)")
        assertNoLeaks()
    }

    func testBundleDefaultsToTheWorkingDirectoryAndPathsResolveAgainstIt() throws {
        let bundle = try makeBundle(["true"])
        try bundle.save()
        let id = newID()
        let created = try runtime(["create", "--pid-file", "relative.pid", id], cwd: bundle.path)
        XCTAssertTrue(created.succeeded, "\(created)")
        let state = try self.state(id)
        XCTAssertEqual(state["bundle"] as? String, bundle.path, "bundle should be the absolute working directory")
        XCTAssertEqual(Subprocess.read(bundle.path + "/relative.pid").trimmingCharacters(in: .whitespacesAndNewlines),
                       (state["pid"] as? NSNumber)?.stringValue, "relative --pid-file")
        try delete(id, force: true)

        let relative = try runtime(["run", "--bundle", "bundle", newID()], cwd: workDir)
        XCTAssertEqual(relative.exitCode, 0, "relative --bundle: \(relative)")
        assertNoLeaks()
    }

    func testStateRootIsCreatedWhenMissing() throws {
        let bundle = try makeBundle(["sleep", "30"])
        try bundle.save()
        let root = workDir + "/new/root"
        let id = newID()
        let created = try runtime(["create", "--bundle", bundle.path, id], global: ["--root", root])
        XCTAssertTrue(created.succeeded, "\(created)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/" + id), "no state under the new root")
        let deleted = try runtime(["delete", "--force", id], global: ["--root", root])
        XCTAssertTrue(deleted.succeeded, "\(deleted)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/" + id))
        assertNoLeaks()
    }

    func testStateHasRuncsFields() throws {
        let bundle = try makeBundle(["sleep", "30"])
        let id = newID()
        let before = Date().addingTimeInterval(-2)
        let pid = try create(bundle, id: id)
        let state = try self.state(id)
        XCTAssertEqual(state["rootfs"] as? String, bundle.rootfs, "\(state)")
        // runc's `state` leaves owner empty; `list` names the owner of the state dir.
        XCTAssertNotNil(state["owner"] as? String, "\(state)")
        let list = try runtime(["list", "--format", "json"])
        let entries = (try? JSONSerialization.jsonObject(with: Data(list.stdout.utf8))) as? [[String: Any]] ?? []
        XCTAssertEqual(entries.first { $0["id"] as? String == id }?["owner"] as? String, "root", "\(list)")
        XCTAssertEqual(state["pid"] as? NSNumber, NSNumber(value: pid))
        let created = (state["created"] as? String).flatMap(parseRFC3339)
        XCTAssertNotNil(created, "created \(String(describing: state["created"]))")
        if let created {
            XCTAssertTrue(created > before && created < Date().addingTimeInterval(2), "created \(created)")
        }
        try delete(id, force: true)
        assertNoLeaks()
    }

    private func parseRFC3339(_ text: String) -> Date? {
        let trimmed = text.replacingOccurrences(of: #"(\.\d{3})\d+"#, with: "$1", options: .regularExpression)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: trimmed) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: trimmed)
    }

    /// `run` with `process.terminal` and no console socket: the runtime makes the pty the
    /// process's stdio and copies it to its own (here script(1)'s pty), both ways.
    func testForegroundTerminalWithoutConsoleSocket() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            throw XCTSkip("script(1) from util-linux is not installed")
        }
        let bundle = try makeBundle(["sh", "-c", "tty; read line; echo got-$line; stty size"])
        bundle.config["process.terminal"] = true
        bundle.config["process.consoleSize"] = ["height": 30, "width": 100]
        try bundle.save()
        let input = workDir + "/tty-input"
        try "hello\n".write(toFile: input, atomically: false, encoding: .utf8)
        let command = ([TestEnvironment.runtimePath] + globalOptions + ["run", "--bundle", bundle.path, newID()])
            .map { "'\($0)'" }.joined(separator: " ")
        let result = try host(["/usr/bin/script", "-qec", command, "/dev/null"], stdin: input)
        XCTAssertEqual(result.exitCode, 0, "\(result)")
        XCTAssertTrue(result.stdout.contains("/dev/pts/"), "not on a pty: \(result)")
        XCTAssertTrue(result.stdout.contains("got-hello"), "stdin did not reach the container: \(result)")
        assertNoLeaks()
    }
}
