// hooks: order, the state each gets on stdin, env and args, timeouts, failures. Every hook is
// one script in the share dir that appends "<kind> <state JSON>" to a log there; the share dir
// is bind-mounted into the container at its host path so startContainer hooks (which run
// inside the container) find the same script and log.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class HookTests: IntegrationTestCase {
    private var logPath: String { shareDir + "/hooks.log" }
    private var hookScript: String { shareDir + "/hook.sh" }

    private func writeHookScripts() throws {
        try """
        #!/bin/sh
        state=$(cat)
        printf '%s %s %s\\n' "$1" "${HOOK_VAR:-unset}" "$state" >> \(logPath)
        exit ${HOOK_EXIT:-0}

        """.write(toFile: hookScript, atomically: false, encoding: .utf8)
        chmod(hookScript, 0o755)
    }

    private func hookBundle(_ args: [String]) throws -> TestBundle {
        try writeHookScripts()
        let bundle = try makeBundle(args)
        shareInto(bundle, at: shareDir)
        return bundle
    }

    private func addHook(_ bundle: TestBundle, _ kind: String, exit: Int = 0, timeout: Int? = nil,
                         script: String? = nil) {
        var hook: [String: Any] = ["path": script ?? hookScript, "args": ["hook", kind],
                                   "env": ["HOOK_VAR=\(kind)-env", "HOOK_EXIT=\(exit)", "SWIFTLET_IT_TOKEN=\(token)",
                                           "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]]
        if let timeout { hook["timeout"] = timeout }
        bundle.config.append("hooks.\(kind)", hook)
    }

    /// (kind, env value, state) per line of the hook log.
    private func logEntries() -> [(kind: String, env: String, state: [String: Any])] {
        Subprocess.read(logPath).split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
            guard parts.count == 3 else { return nil }
            let state = (try? JSONSerialization.jsonObject(with: Data(parts[2].utf8))) as? [String: Any] ?? [:]
            return (parts[0], parts[1], state)
        }
    }

    func testAllHookKindsRunInOrderWithTheirState() throws {
        // The process waits for a file, so poststart sees it running.
        let bundle = try hookBundle(["sh", "-c", "while [ ! -e \(shareDir)/go ]; do sleep 0.02; done"])
        let kinds = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]
        for kind in kinds { addHook(bundle, kind) }
        let id = newID()
        let pid = try create(bundle, id: id)
        XCTAssertEqual(logEntries().map(\.kind), Array(kinds.prefix(3)), "hooks run by create")
        try start(id)
        XCTAssertEqual(logEntries().map(\.kind), Array(kinds.prefix(5)), "hooks run by start")
        _ = FileManager.default.createFile(atPath: shareDir + "/go", contents: nil)
        try waitForStatus(id, "stopped")
        try delete(id)

        let entries = logEntries()
        XCTAssertEqual(entries.map(\.kind), kinds)
        // runtime-spec: the state a hook gets is the container's at that point of the lifecycle.
        let wantStatus = ["prestart": "creating", "createRuntime": "creating", "createContainer": "creating",
                          "startContainer": "created", "poststart": "running", "poststop": "stopped"]
        for entry in entries {
            XCTAssertEqual(entry.state["id"] as? String, id, "\(entry.kind): \(entry.state)")
            XCTAssertEqual(entry.state["status"] as? String, wantStatus[entry.kind], "\(entry.kind): \(entry.state)")
            XCTAssertEqual(entry.state["bundle"] as? String, bundle.path, "\(entry.kind)")
            XCTAssertNotNil(entry.state["ociVersion"] as? String, "\(entry.kind)")
            XCTAssertEqual(entry.env, "\(entry.kind)-env", "hook env")
            // state.pid is as seen from where the hook runs: createContainer and startContainer
            // run in the container's namespaces, where the process is pid 1.
            switch entry.kind {
            case "createContainer", "startContainer":
                XCTAssertEqual(entry.state["pid"] as? NSNumber, 1, "\(entry.kind): \(entry.state)")
            case "poststop":
                break
            default:
                XCTAssertEqual(entry.state["pid"] as? NSNumber, NSNumber(value: pid), "\(entry.kind): \(entry.state)")
            }
        }
        assertNoLeaks()
    }

    func testRunRunsPoststopAfterTheProcessExits() throws {
        let bundle = try hookBundle(["sh", "-c", "exit 4"])
        addHook(bundle, "poststart")
        addHook(bundle, "poststop")
        let result = try run(bundle)
        XCTAssertEqual(result.exitCode, 4, "\(result)")
        XCTAssertEqual(logEntries().map(\.kind), ["poststart", "poststop"])
        XCTAssertEqual(logEntries().last?.state["status"] as? String, "stopped")
        assertNoLeaks()
    }

    func testFailingPrestartHookFailsCreateAndLeavesNothing() throws {
        let bundle = try hookBundle(["sleep", "30"])
        addHook(bundle, "prestart", exit: 7)
        addHook(bundle, "poststart")
        let id = newID()
        try bundle.save()
        let result = try runtime(["create", "--bundle", bundle.path, id])
        XCTAssertNotEqual(result.exitCode, 0, "\(result)")
        XCTAssertFalse(result.stderr.isEmpty, "no reason given")
        XCTAssertEqual(logEntries().map(\.kind), ["prestart"], "only the failing hook ran")
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + id), "state dir left")
        XCTAssertFalse(try runtime(["state", id]).succeeded)
        assertNoLeaks("after a failed prestart hook")
    }

    func testFailingCreateContainerHookFailsCreate() throws {
        let bundle = try hookBundle(["sleep", "30"])
        addHook(bundle, "createContainer", exit: 1)
        let id = newID()
        try bundle.save()
        let result = try runtime(["create", "--bundle", bundle.path, id])
        XCTAssertNotEqual(result.exitCode, 0, "\(result)")
        XCTAssertEqual(logEntries().map(\.kind), ["createContainer"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + id), "state dir left")
        assertNoLeaks("after a failed createContainer hook")
    }

    func testHookTimeoutKillsTheHookAndFailsCreate() throws {
        let slow = shareDir + "/slow.sh"
        try "#!/bin/sh\necho started >> \(shareDir)/slow.log\nexec sleep 30\n"
            .write(toFile: slow, atomically: false, encoding: .utf8)
        chmod(slow, 0o755)
        let bundle = try hookBundle(["true"])
        addHook(bundle, "prestart", timeout: 1, script: slow)
        let id = newID()
        try bundle.save()
        let began = Date()
        let result = try runtime(["create", "--bundle", bundle.path, id], timeout: 15)
        let took = Date().timeIntervalSince(began)
        XCTAssertNotEqual(result.exitCode, 0, "\(result)")
        XCTAssertFalse(result.timedOut, "create hung on a hook with a 1 s timeout")
        XCTAssertLessThan(took, 5, "create took \(took)s with a 1 s hook timeout")
        XCTAssertEqual(shared("slow.log"), "started\n", "the hook never ran")
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + id))
        // The hook's sleep carries the test token in its environment.
        assertNoLeaks("after a hook timeout")
    }

    func testFailingPoststopHookDoesNotFailDelete() throws {
        let bundle = try hookBundle(["true"])
        addHook(bundle, "poststop", exit: 3)
        addHook(bundle, "poststop")
        let id = newID()
        try create(bundle, id: id)
        try start(id)
        try waitForStatus(id, "stopped")
        let result = try runtime(["delete", id])
        XCTAssertEqual(result.exitCode, 0, "runtime-spec: a failing poststop hook is only a warning: \(result)")
        XCTAssertEqual(logEntries().map(\.kind), ["poststop", "poststop"], "the second poststop hook did not run")
        XCTAssertFalse(try runtime(["state", id]).succeeded)
        assertNoLeaks()
    }

    func testPoststopRunsOnDeleteForceOfRunningContainer() throws {
        let bundle = try hookBundle(["sleep", "30"])
        addHook(bundle, "poststop")
        let id = newID()
        try create(bundle, id: id)
        try start(id)
        try waitForStatus(id, "running")
        try delete(id, force: true)
        XCTAssertEqual(logEntries().map(\.kind), ["poststop"])
        assertNoLeaks()
    }
}
