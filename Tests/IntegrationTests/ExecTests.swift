// exec: a second process in a running container, in runc's two spellings (arguments on the
// command line, and engines' `--process FILE --detach --pid-file F`).
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class ExecTests: IntegrationTestCase {
    private func nsLink(_ pid: String, _ file: String) -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/\(file)")) ?? "unreadable"
    }

    /// A running container whose init sleeps; returns (id, init pid).
    private func runningContainer(_ bundle: TestBundle? = nil) throws -> (String, Int32) {
        let bundle = try bundle ?? makeBundle(["sleep", "30"])
        let id = newID()
        let pid = try create(bundle, id: id)
        try start(id)
        try waitForStatus(id, "running")
        return (id, pid)
    }

    func testExecRunsInTheContainersNamespacesAndCgroupAndReturnsTheExitCode() throws {
        let (id, pid) = try runningContainer()
        let files = ["pid", "net", "ipc", "uts", "mnt", "cgroup"]
        let script = files.map { "readlink /proc/self/ns/\($0)" }.joined(separator: "; ") + "; exit 7"
        let result = try runtime(["exec", id, "sh", "-c", script])
        XCTAssertEqual(result.exitCode, 7, "\(result)")
        XCTAssertEqual(result.stdout.split(separator: "\n").map(String.init), files.map { nsLink("\(pid)", $0) })

        let cgroups = try runtime(["exec", id, "cat", "/proc/self/cgroup"])
        let inside = try runtime(["exec", id, "sh", "-c", "cat /proc/1/cgroup"])
        XCTAssertEqual(cgroups.stdout, inside.stdout, "exec'd process is not in the init's cgroups")
        try delete(id, force: true)
        assertNoLeaks()
    }

    func testExecInheritsTheContainersSecurityAttributes() throws {
        let bundle = try makeBundle(["sleep", "30"])
        bundle.config["linux.seccomp"] = ["defaultAction": "SCMP_ACT_ALLOW",
                                          "syscalls": [["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"]]]
        let (id, pid) = try runningContainer(bundle)
        let initStatus = Subprocess.read("/proc/\(pid)/status")
        let result = try runtime(["exec", id, "sh", "-c", "cat /proc/self/status; mkdir /dev/shm/x 2>&1; true"])
        XCTAssertEqual(result.exitCode, 0, "\(result)")
        for key in ["CapBnd", "CapEff", "CapPrm", "NoNewPrivs", "Seccomp"] {
            XCTAssertEqual(statusField(key, in: result.stdout), statusField(key, in: initStatus), key)
        }
        XCTAssertTrue(result.stdout.contains("Operation not permitted"), "seccomp not applied to exec: \(result)")
        try delete(id, force: true)
        assertNoLeaks()
    }

    func testExecFlagsEnvCwdUser() throws {
        let (id, _) = try runningContainer()
        let result = try runtime(["exec", "--env", "IT_VAR=it value", "--cwd", "/tmp", "--user", "1000:1001", id,
                                  "sh", "-c", "echo \"$IT_VAR\"; pwd; id -u; id -g"])
        XCTAssertEqual(result.exitCode, 0, "\(result)")
        XCTAssertEqual(result.stdout, "it value\n/tmp\n1000\n1001\n")
        try delete(id, force: true)
        assertNoLeaks()
    }

    func testExecProcessFileDetachedWithPidFile() throws {
        let bundle = try makeBundle(["sleep", "30"])
        shareInto(bundle)
        let (id, _) = try runningContainer(bundle)
        let process: [String: Any] = ["terminal": false, "user": ["uid": 0, "gid": 0],
                                      "args": ["sh", "-c", "echo \"$FROM_FILE $(pwd)\" > /share/out.tmp && mv /share/out.tmp /share/out; sleep 30"],
                                      "env": ["PATH=/bin:/usr/bin", "FROM_FILE=yes", "SWIFTLET_IT_TOKEN=\(token)"],
                                      "cwd": "/var", "noNewPrivileges": true]
        let processFile = workDir + "/process.json"
        try JSONSerialization.data(withJSONObject: process).write(to: URL(fileURLWithPath: processFile))
        let pidFile = workDir + "/exec.pid"
        let result = try runtime(["exec", "--process", processFile, "--detach", "--pid-file", pidFile, id], timeout: 10)
        XCTAssertTrue(result.succeeded, "\(result)")
        let pid = Int32(Subprocess.read(pidFile).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        XCTAssertGreaterThan(pid, 0, "pid file: \(Subprocess.read(pidFile).debugDescription)")
        XCTAssertTrue(processAlive(pid), "the detached exec process \(pid) is not running")
        XCTAssertTrue(waitForShared("out"))
        XCTAssertEqual(shared("out"), "yes /var\n")
        try delete(id, force: true)
        XCTAssertFalse(processAlive(pid), "delete --force left the exec'd process \(pid)")
        assertNoLeaks()
    }

    func testExecWithTerminalThroughConsoleSocket() throws {
        let (id, _) = try runningContainer()
        let socket = try ConsoleSocket(path: workDir + "/exec-console.sock")
        let child = try startRuntime(["exec", "--tty", "--console-socket", socket.path, "--detach", id,
                                      "sh", "-c", "tty; echo exec-tty"])
        let (master, _) = try socket.receiveFD()
        defer { close(master) }
        let result = child.wait()
        XCTAssertTrue(result.succeeded, "\(result)")
        let lines = ConsoleSocket.readAll(fd: master).replacingOccurrences(of: "\r\n", with: "\n")
            .split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.hasPrefix("/dev/pts/") ?? false, "\(lines)")
        XCTAssertEqual(lines.last, "exec-tty")
        try delete(id, force: true)
        assertNoLeaks()
    }

    func testExecIntoAStoppedContainerFails() throws {
        let bundle = try makeBundle(["true"])
        let id = newID()
        try create(bundle, id: id)
        try start(id)
        try waitForStatus(id, "stopped")
        let result = try runtime(["exec", id, "true"])
        XCTAssertNotEqual(result.exitCode, 0, "\(result)")
        XCTAssertFalse(result.stderr.isEmpty)
        try delete(id)
        assertNoLeaks()
    }

    func testExecOfMissingExecutableFails() throws {
        let (id, _) = try runningContainer()
        let result = try runtime(["exec", id, "no-such-command"])
        XCTAssertNotEqual(result.exitCode, 0, "\(result)")
        XCTAssertTrue(result.stderr.contains("executable file not found in $PATH"), "\(result)")
        XCTAssertEqual(try state(id)["status"] as? String, "running", "a failed exec hurt the container")
        try delete(id, force: true)
        assertNoLeaks()
    }

    func testExecIntoUnknownContainerFails() throws {
        let result = try runtime(["exec", newID("nosuch"), "true"])
        XCTAssertNotEqual(result.exitCode, 0)
        XCTAssertTrue(result.stderr.contains("does not exist"), "\(result)")
    }

    func testTwentyConcurrentExecsAllSucceed() throws {
        let (id, _) = try runningContainer()
        let execs = try (0..<20).map { n in
            try startRuntime(["exec", id, "sh", "-c", "echo exec-\(n); exit \(n % 5)"])
        }
        for (n, result) in execs.map({ $0.wait(timeout: 60) }).enumerated() {
            XCTAssertEqual(result.exitCode, Int32(n % 5), "\(result)")
            XCTAssertEqual(result.stdout, "exec-\(n)\n", "\(result)")
        }
        XCTAssertEqual(try state(id)["status"] as? String, "running")
        try delete(id, force: true)
        assertNoLeaks("after 20 concurrent execs")
    }

    /// Execs started while the container's init is exiting either run or fail cleanly; none
    /// hangs and nothing is left behind.
    func testExecRacingInitExitNeitherHangsNorLeaks() throws {
        let bundle = try makeBundle(["sh", "-c", "sleep 0.3"])
        let id = newID()
        try create(bundle, id: id)
        try start(id)
        var results: [CommandResult] = []
        let deadline = Date().addingTimeInterval(1.5)
        while Date() < deadline {
            results.append(try startRuntime(["exec", id, "true"]).wait(timeout: 20))
        }
        XCTAssertFalse(results.contains(where: \.timedOut), results.map(\.description).joined(separator: "\n"))
        for result in results where !result.succeeded {
            XCTAssertFalse(result.stderr.isEmpty, "a failing exec said nothing: \(result)")
        }
        XCTAssertTrue(results.contains(where: { !$0.succeeded }), "no exec reached the stopped container")
        try waitForStatus(id, "stopped")
        try delete(id)
        assertNoLeaks("after execs racing the init's exit")
    }
}
