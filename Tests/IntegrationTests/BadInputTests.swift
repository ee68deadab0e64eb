// Bad bundles and ids: each must fail with a useful message and leave nothing behind (no
// state dir, cgroup, mount or process).
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class BadInputTests: IntegrationTestCase {
    /// Runs `create` (and `run` with a second id) on the bundle; both must fail, mention every
    /// string in `mentions`, and leave nothing.
    private func assertRejected(_ bundle: TestBundle, mentioning mentions: [String], save: Bool = true,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        if save { try bundle.save() }
        let initsBefore = initProcesses()
        for command in ["create", "run"] {
            let id = newID(command)
            let result = try runtime([command, "--bundle", bundle.path, id])
            XCTAssertNotEqual(result.exitCode, 0, "\(command) accepted it: \(result)", file: file, line: line)
            XCTAssertFalse(result.timedOut, "\(result)", file: file, line: line)
            for text in mentions {
                XCTAssertTrue(result.stderr.localizedCaseInsensitiveContains(text),
                              "\(command): the error should mention \(text.debugDescription): \(result)",
                              file: file, line: line)
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + id),
                           "\(command) left its state dir", file: file, line: line)
            XCTAssertFalse(try runtime(["state", id]).succeeded, file: file, line: line)
        }
        assertNoLeaks("after a rejected bundle", file: file, line: line)
        // create spawns its init before it reads config.json: a rejected config must take that
        // process with it, though nothing of the container's names it yet.
        XCTAssertEqual(initProcesses().subtracting(initsBefore), [], "a rejected create left its init", file: file, line: line)
    }

    /// Live `swiftlet init` processes (not yet exec'd into a container's process).
    private func initProcesses() -> Set<pid_t> {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
        return Set(pids.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return data == Data("swiftlet\0init\0".utf8) && processAlive(pid)
        })
    }

    /// The house rule (errors carry context) asks for the file name; runc 1.1.5 only says
    /// "unexpected EOF".
    func testMalformedConfigJSON() throws {
        let bundle = try makeBundle(["true"])
        try Data("{\"ociVersion\": \"1.0.2\", \"process\": {".utf8).write(to: URL(fileURLWithPath: bundle.configPath))
        try assertRejected(bundle, mentioning: ["config.json"], save: false)
    }

    func testMissingConfigJSON() throws {
        let bundle = try makeBundle(["true"])
        try FileManager.default.removeItem(atPath: bundle.configPath)
        try assertRejected(bundle, mentioning: ["config.json"], save: false)
    }

    func testWrongTypeNamesTheJSONPath() throws {
        let bundle = try makeBundle(["true"])
        bundle.config["process.args"] = "sh -c true"
        try assertRejected(bundle, mentioning: ["process.args"])
    }

    func testWrongNestedTypeNamesTheJSONPath() throws {
        let bundle = try makeBundle(["true"])
        bundle.config["process.rlimits"] = [["type": "RLIMIT_NOFILE", "soft": "many", "hard": 10]]
        try assertRejected(bundle, mentioning: ["rlimits", "soft"])
    }

    func testUnknownNamespaceType() throws {
        let bundle = try makeBundle(["true"])
        bundle.config.setNamespace("bogus")
        try assertRejected(bundle, mentioning: ["bogus"])
    }

    func testRelativeCwd() throws {
        let bundle = try makeBundle(["true"])
        bundle.config["process.cwd"] = "relative/dir"
        try assertRejected(bundle, mentioning: ["cwd"])
    }

    func testMissingRootfs() throws {
        let bundle = try makeBundle(["true"])
        bundle.config["root.path"] = "no-such-rootfs"
        try assertRejected(bundle, mentioning: ["no-such-rootfs"])
    }

    func testExecutableNotInPath() throws {
        let bundle = try makeBundle(["no-such-command", "arg"])
        try assertRejected(bundle, mentioning: ["no-such-command", "executable file not found in $PATH"])
    }

    func testMissingExecutableByPath() throws {
        let bundle = try makeBundle(["/bin/no-such-binary"])
        try assertRejected(bundle, mentioning: ["/bin/no-such-binary", "no such file or directory"])
    }

    func testExecutableWithoutExecuteBit() throws {
        let bundle = try makeBundle(["/etc/passwd"])
        try assertRejected(bundle, mentioning: ["/etc/passwd", "permission denied"])
    }

    func testMissingBundleDirectory() throws {
        let id = newID()
        let result = try runtime(["create", "--bundle", workDir + "/no-such-bundle", id])
        XCTAssertNotEqual(result.exitCode, 0, "\(result)")
        XCTAssertTrue(result.stderr.contains("no-such-bundle"), "\(result)")
        assertNoLeaks()
    }

    func testIDThatIsAPathIsRefused() throws {
        let bundle = try makeBundle(["true"])
        try bundle.save()
        for id in ["../\(token)-escape", "a/b", ""] {
            let result = try runtime(["create", "--bundle", bundle.path, id])
            XCTAssertNotEqual(result.exitCode, 0, "id \(id.debugDescription) accepted: \(result)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: workDir + "/\(token)-escape"), "state written outside --root")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: stateRoot), [])
        assertNoLeaks()
    }

    func testMissingBindMountSource() throws {
        let bundle = try makeBundle(["true"])
        let missing = workDir + "/no-such-source"
        bundle.config.addMount(destination: "/mnt/x", type: "bind", source: missing, options: ["rbind"])
        try assertRejected(bundle, mentioning: [missing])
    }

    func testUnknownMountTypeNamesIt() throws {
        let bundle = try makeBundle(["true"])
        bundle.config.addMount(destination: "/mnt/x", type: "nosuchfs", source: "none")
        try assertRejected(bundle, mentioning: ["/mnt/x"])
    }
}
