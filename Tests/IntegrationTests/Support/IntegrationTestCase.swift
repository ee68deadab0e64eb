// The base of every integration test: a private temp dir and state root, runtime invocations
// that record what they created, and a tearDown that removes it all and fails the test when
// the runtime left anything behind (checked after the runtime's own `delete --force`).
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

class IntegrationTestCase: XCTestCase {
    /// Unique per test; part of every id, path and container environment of the test.
    private(set) var token = ""
    private(set) var workDir = ""
    private(set) var stateRoot = ""
    /// A host directory the tests bind-mount into containers to read effects back.
    private(set) var shareDir = ""
    private var createdIDs: [String] = []
    private var children: [Subprocess] = []
    private var baseline = LeakSnapshot()

    override func setUpWithError() throws {
        try super.setUpWithError()
        try TestEnvironment.requireRunnable()
        token = "swit" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        workDir = "/tmp/\(token)"
        stateRoot = workDir + "/state"
        shareDir = workDir + "/share"
        for dir in [workDir, stateRoot, shareDir] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            // Containers with a user namespace must be able to traverse to their rootfs.
            chmod(dir, 0o755)
        }
        chmod(shareDir, 0o777)
        baseline = LeakSnapshot.take(token: token, stateRoot: stateRoot)
    }

    override func tearDownWithError() throws {
        defer { try? FileManager.default.removeItem(atPath: workDir) }
        guard !token.isEmpty else { return }
        for child in children { child.killAndReap() }
        children.removeAll()
        for id in createdIDs.reversed() {
            _ = try? runtime(["delete", "--force", id], timeout: 15)
        }
        let leaks = LeakSnapshot.take(token: token, stateRoot: stateRoot).subtracting(baseline)
        if !leaks.isEmpty {
            XCTFail("left behind after `delete --force` of \(createdIDs):\n\(leaks.report)")
            removeByForce(leaks)
        }
        try super.tearDownWithError()
    }

    /// The runtime failed to clean up: do it here so the next test starts clean.
    private func removeByForce(_ leaks: LeakSnapshot) {
        for pid in leaks.processIDs { kill(pid, SIGKILL) }
        usleep(50_000)
        for line in leaks.mounts {
            let fields = line.split(separator: " ")
            if fields.count > 4 { umount2(String(fields[4]), Int32(MNT_DETACH)) }
        }
        // Deepest first; a cgroup dir is removed with rmdir, its files are virtual.
        for dir in leaks.cgroupDirs.sorted(by: { $0.count > $1.count }) {
            for _ in 0..<20 where rmdir(dir) != 0 && errno == EBUSY { usleep(20_000) }
        }
    }

    // MARK: ids and bundles

    /// A fresh container id (recorded for cleanup).
    func newID(_ name: String = "c") -> String {
        let id = "\(token)-\(name)-\(createdIDs.count)"
        createdIDs.append(id)
        return id
    }

    /// A busybox bundle whose process runs `args`; every config gets the leak-detection env.
    func makeBundle(_ args: [String], name: String = "bundle") throws -> TestBundle {
        let bundle = try BundleTemplate.makeBundle(at: workDir + "/" + name, args: args, outputDir: workDir)
        bundle.config.append("process.env", "SWIFTLET_IT_TOKEN=\(token)")
        try bundle.save()
        return bundle
    }

    /// Bind-mounts the share dir into the container at /share (read-write). The mount point is
    /// made here: a mapped root in a user namespace may not create it in a host-owned rootfs.
    func shareInto(_ bundle: TestBundle, at destination: String = "/share") {
        try? FileManager.default.createDirectory(atPath: bundle.rootfs + destination, withIntermediateDirectories: true)
        bundle.config.addMount(destination: destination, type: "bind", source: shareDir, options: ["rbind", "rw"])
    }

    func shared(_ name: String) -> String {
        Subprocess.read(shareDir + "/" + name)
    }

    /// Waits for a container to create `name` in the share dir.
    func waitForShared(_ name: String, timeout: Double = 5) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: shareDir + "/" + name) { return true }
            usleep(10_000)
        }
        return false
    }

    // MARK: running the runtime

    /// Global options every call gets: the test's own state root.
    var globalOptions: [String] { ["--root", stateRoot] }

    @discardableResult
    func runtime(_ args: [String], global: [String] = [], cwd: String? = nil, stdin: String? = nil,
                 extraFDs: [Int32: Int32] = [:], environment: [String: String]? = nil,
                 timeout: Double = 20) throws -> CommandResult {
        try startRuntime(args, global: global, cwd: cwd, stdin: stdin, extraFDs: extraFDs,
                         environment: environment).wait(timeout: timeout)
    }

    /// Starts the runtime without waiting (e.g. a foreground `run` the test kills later).
    func startRuntime(_ args: [String], global: [String] = [], cwd: String? = nil, stdin: String? = nil,
                      extraFDs: [Int32: Int32] = [:], environment: [String: String]? = nil) throws -> Subprocess {
        let argv = [TestEnvironment.runtimePath] + globalOptions + global + args
        let child = try Subprocess(argv, outputDir: workDir, cwd: cwd, environment: environment,
                                   stdin: stdin, extraFDs: extraFDs)
        children.append(child)
        return child
    }

    /// Runs any host command (ip, cat, ...), failing the test when it cannot even start.
    @discardableResult
    func host(_ argv: [String], stdin: String? = nil, timeout: Double = 20) throws -> CommandResult {
        let child = try Subprocess(argv, outputDir: workDir, stdin: stdin)
        children.append(child)
        return child.wait(timeout: timeout)
    }

    /// `run` of a bundle in the foreground: stdout is the container's output.
    @discardableResult
    func run(_ bundle: TestBundle, id: String? = nil, flags: [String] = [], global: [String] = [],
             timeout: Double = 20) throws -> CommandResult {
        try bundle.save()
        return try runtime(["run"] + flags + ["--bundle", bundle.path, id ?? newID("run")], global: global,
                           timeout: timeout)
    }

    /// `run` that must exit 0; returns the container's stdout.
    func output(_ bundle: TestBundle, flags: [String] = [], global: [String] = [],
                file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try run(bundle, flags: flags, global: global)
        XCTAssertEqual(result.exitCode, 0, "\(result)", file: file, line: line)
        return result.stdout
    }

    /// The value of one `Key:` line of /proc/PID/status text ("NoNewPrivs", "Seccomp", ...).
    func statusField(_ key: String, in status: String) -> String? {
        status.split(separator: "\n").first { $0.hasPrefix(key + ":") }
            .map { $0.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces) }
    }

    /// `create` that must succeed; returns the pid from `state`.
    @discardableResult
    func create(_ bundle: TestBundle, id: String, flags: [String] = [],
                file: StaticString = #filePath, line: UInt = #line) throws -> Int32 {
        try bundle.save()
        let result = try runtime(["create"] + flags + ["--bundle", bundle.path, id])
        guard result.succeeded else {
            XCTFail("create failed: \(result)", file: file, line: line)
            throw SpawnError(description: "create failed")
        }
        let state = try self.state(id, file: file, line: line)
        XCTAssertEqual(state["status"] as? String, "created", file: file, line: line)
        return (state["pid"] as? NSNumber)?.int32Value ?? 0
    }

    func start(_ id: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try runtime(["start", id])
        XCTAssertTrue(result.succeeded, "start: \(result)", file: file, line: line)
    }

    /// `state ID` parsed as JSON; fails the test when it is not a JSON object.
    func state(_ id: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let result = try runtime(["state", id])
        guard result.succeeded,
              let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        else {
            XCTFail("state \(id): \(result)", file: file, line: line)
            throw SpawnError(description: "state failed")
        }
        return object
    }

    /// Polls `state` until the status is `status` (or the timeout passes) and returns the last one.
    @discardableResult
    func waitForStatus(_ id: String, _ status: String, timeout: Double = 5,
                       file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            // A `run` just started may not have made the state yet.
            let result = try runtime(["state", id])
            let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            last = result.succeeded ? object?["status"] as? String ?? "?" : result.stderr
            if last == status { return last }
            usleep(10_000)
        }
        XCTFail("\(id) did not reach status \(status) within \(timeout)s (last: \(last))", file: file, line: line)
        return last
    }

    func delete(_ id: String, force: Bool = false, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try runtime(["delete"] + (force ? ["--force"] : []) + [id])
        XCTAssertTrue(result.succeeded, "delete: \(result)", file: file, line: line)
    }

    // MARK: leaks

    /// Fails when mounts, cgroup dirs, state entries or processes of this test exist now.
    /// `except`: pids the test still runs on purpose.
    func assertNoLeaks(_ context: String = "", except: Set<pid_t> = [],
                       file: StaticString = #filePath, line: UInt = #line) {
        let running = Set(children.filter { $0.isRunning }.map { $0.pid }).union(except)
        let leaks = LeakSnapshot.take(token: token, stateRoot: stateRoot, excluding: running).subtracting(baseline)
        XCTAssertTrue(leaks.isEmpty, "left behind \(context):\n\(leaks.report)", file: file, line: line)
    }

    /// Whether /proc/PID exists and is not a zombie.
    func processAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        let state = stat.split(separator: ")").last?.split(separator: " ").first
        return state != "Z" && state != "X"
    }
}
