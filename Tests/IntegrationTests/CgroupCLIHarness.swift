// The harness of CgroupCLITests: bundles with a busybox rootfs and a relative cgroupsPath,
// the runtime run as a subprocess with its output in files, and the kernel's view of a
// process's cgroups from /proc. Kept apart from the directory's shared harness on purpose.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A started test container.
struct CgroupCLIContainer {
    let id: String
    let initPid: Int32
    let cgroups: CgroupCLIHierarchies

    func cgroupDirectory(_ controller: String) throws -> String {
        try XCTUnwrap(cgroups.directory(of: initPid, controller: controller), "no \(controller) cgroup for \(initPid)")
    }

    func cgroupFile(_ controller: String, _ file: String) throws -> String {
        let path = try cgroupDirectory(controller) + "/" + file
        return try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func memoryLimit(unified: Bool) throws -> String {
        try cgroupFile("memory", unified ? "memory.max" : "memory.limit_in_bytes")
    }

    func oomKills(unified: Bool) throws -> Int {
        let text = try cgroupFile("memory", unified ? "memory.events" : "memory.oom_control")
        let line = text.split(separator: "\n").first { $0.hasPrefix("oom_kill ") }
        return line.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
    }
}

/// Where cgroup hierarchies are mounted and which cgroup a process is in, read from /proc.
struct CgroupCLIHierarchies {
    /// controller → mount point ("" for cgroup2).
    let mounts: [String: String]
    var isUnified: Bool { mounts.count == 1 && mounts[""] != nil }

    static func read() -> CgroupCLIHierarchies {
        var mounts: [String: String] = [:]
        let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { continue }
            let left = halves[0].split(separator: " "), right = halves[1].split(separator: " ")
            guard left.count > 4, right.count >= 3 else { continue }
            if right[0] == "cgroup2" {
                mounts[""] = String(left[4])
            } else if right[0] == "cgroup" {
                for option in right[2].split(separator: ",") { mounts[String(option)] = String(left[4]) }
            }
        }
        return CgroupCLIHierarchies(mounts: mounts)
    }

    /// The cgroup of `pid` for `controller`, from /proc/<pid>/cgroup.
    func path(of pid: Int32, controller: String) -> String {
        path(in: "/proc/\(pid)/cgroup", controller: controller)
    }

    func ownPath(_ controller: String) -> String { path(in: "/proc/self/cgroup", controller: controller) }

    private func path(in file: String, controller: String) -> String {
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let controllers = parts[1].split(separator: ",").map(String.init)
            if isUnified || controller.isEmpty ? parts[1].isEmpty : controllers.contains(controller) { return String(parts[2]) }
        }
        return ""
    }

    func directory(of pid: Int32, controller: String) -> String? {
        guard let mount = isUnified ? mounts[""] : mounts[controller] else { return nil }
        let path = path(of: pid, controller: controller)
        return path.isEmpty ? nil : mount + (path == "/" ? "" : path)
    }
}

/// A runtime process left running (events), its output going to a file.
final class CgroupCLIBackground {
    let process: Process
    let stdoutPath: String
    let stderrPath: String

    init(process: Process, stdoutPath: String, stderrPath: String) {
        self.process = process
        self.stdoutPath = stdoutPath
        self.stderrPath = stderrPath
    }

    func output() -> String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    func stderrText() -> String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    func waitForLine(containing text: String, timeout: TimeInterval) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = output().split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
            usleep(20_000)
        }
        XCTFail("no line with \(text) within \(timeout)s; output: \(output()) stderr: \(stderrText())")
        throw CgroupCLIError.timeout
    }

    /// The exit status, or nil if it is still running after `timeout`.
    func wait(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

enum CgroupCLIError: Error { case timeout, noBinary }

struct CgroupCLIResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

final class CgroupCLIHarness {
    let runtime: String
    let root: String
    let scratch: String
    let bundleTemplate: String
    let cgroups = CgroupCLIHierarchies.read()
    /// Relative: below this test process's own cgroup in every hierarchy.
    static let cgroupParent = "swiftlet-cgcli-tests"
    private var counter = 0

    private init(runtime: String, scratch: String) {
        self.runtime = runtime
        self.scratch = scratch
        self.root = scratch + "/state"
        self.bundleTemplate = scratch + "/rootfs"
    }

    static func make(test: XCTestCase) throws -> CgroupCLIHarness {
        guard geteuid() == 0 else { throw XCTSkip("cgroup CLI tests start real containers and need root") }
        let env = Foundation.ProcessInfo.processInfo.environment
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let runtime = env["SWIFTLET"].flatMap { $0.isEmpty ? nil : $0 } ?? root.path + "/bin/swiftlet"
        guard access(runtime, X_OK) == 0 else { throw XCTSkip("no runtime binary at \(runtime): run `make` or set SWIFTLET") }
        let busybox = env["BUSYBOX"] ?? "/bin/busybox"
        guard access(busybox, X_OK) == 0 else { throw XCTSkip("no static busybox at \(busybox)") }
        guard !CgroupCLIHierarchies.read().mounts.isEmpty else { throw XCTSkip("no cgroup hierarchy is mounted") }
        let scratch = NSTemporaryDirectory() + "swiftlet-cgcli-\(getpid())-\(UUID().uuidString.prefix(8))"
        let harness = CgroupCLIHarness(runtime: runtime, scratch: scratch)
        try harness.makeRootfs(busybox: busybox)
        test.addTeardownBlock { harness.cleanUp() }
        return harness
    }

    private var ids: [String] = []

    /// Deletes every container (forcefully), its state, the shared parent cgroups when empty.
    func cleanUp() {
        for id in ids { _ = try? run(["delete", "--force", id]) }
        let own = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        for line in own.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let controller = parts[1].split(separator: ",").first.map(String.init) ?? ""
            guard let mount = cgroups.mounts[controller] else { continue }
            rmdir(mount + (parts[2] == "/" ? "" : String(parts[2])) + "/" + Self.cgroupParent)
        }
        try? FileManager.default.removeItem(atPath: scratch)
    }

    private func makeRootfs(busybox: String) throws {
        let fm = FileManager.default
        for dir in ["bin", "dev", "proc", "sys", "tmp", "etc", "root"] {
            try fm.createDirectory(atPath: bundleTemplate + "/" + dir, withIntermediateDirectories: true)
        }
        try fm.copyItem(atPath: busybox, toPath: bundleTemplate + "/bin/busybox")
        for applet in ["sh", "sleep", "dd", "true", "cat", "echo"] {
            try fm.createSymbolicLink(atPath: bundleTemplate + "/bin/" + applet, withDestinationPath: "busybox")
        }
    }

    private func nextID() -> String {
        counter += 1
        let id = "cgcli-\(getpid())-\(counter)"
        ids.append(id)
        return id
    }

    private func writeBundle(id: String, args: [String], resources: [String: Any]) throws -> String {
        let bundle = scratch + "/" + id
        try FileManager.default.createDirectory(atPath: bundle, withIntermediateDirectories: true)
        var linuxResources = resources
        linuxResources["devices"] = [["allow": false, "access": "rwm"]]
        let config: [String: Any] = [
            "ociVersion": "1.0.2",
            "process": [
                "terminal": false, "user": ["uid": 0, "gid": 0], "args": args,
                "env": ["PATH=/bin"], "cwd": "/", "noNewPrivileges": true,
            ],
            "root": ["path": bundleTemplate, "readonly": true],
            "hostname": "cgcli",
            "mounts": [
                ["destination": "/proc", "type": "proc", "source": "proc"],
                ["destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]],
            ],
            "linux": [
                "cgroupsPath": Self.cgroupParent + "/" + id,
                "resources": linuxResources,
                "namespaces": [["type": "pid"], ["type": "mount"], ["type": "ipc"], ["type": "uts"]],
            ],
        ]
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted])
        try data.write(to: URL(fileURLWithPath: bundle + "/config.json"))
        return bundle
    }

    /// `run -d`: a running container.
    func start(args: [String] = ["sleep", "1000"], resources: [String: Any] = [:]) throws -> CgroupCLIContainer {
        let id = nextID()
        let bundle = try writeBundle(id: id, args: args, resources: resources)
        let r = try run(["run", "-d", "--bundle", bundle, id])
        guard r.status == 0 else {
            XCTFail("run \(id) failed (\(r.status)): \(r.stderr)")
            throw CgroupCLIError.timeout
        }
        return try container(id)
    }

    /// `create`: a container waiting at its start barrier.
    func create(args: [String]) throws -> CgroupCLIContainer {
        let id = nextID()
        let bundle = try writeBundle(id: id, args: args, resources: [:])
        let r = try run(["create", "--bundle", bundle, id])
        guard r.status == 0 else {
            XCTFail("create \(id) failed (\(r.status)): \(r.stderr)")
            throw CgroupCLIError.timeout
        }
        return try container(id)
    }

    private func container(_ id: String) throws -> CgroupCLIContainer {
        let state = try jsonObject(try run(["state", id]).stdout)
        let pid = try XCTUnwrap((state["pid"] as? NSNumber)?.int32Value, "state of \(id) has no pid")
        return CgroupCLIContainer(id: id, initPid: pid, cgroups: cgroups)
    }

    func status(_ id: String) throws -> String {
        let state = try jsonObject(try run(["state", id]).stdout)
        return state["status"] as? String ?? "?"
    }

    func waitForStatus(_ id: String, _ wanted: String, timeout: TimeInterval = 5) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try status(id) == wanted { return }
            usleep(20_000)
        }
        XCTFail("\(id) did not become \(wanted) in \(timeout)s (is \(try status(id)))")
    }

    func psJSON(_ id: String) throws -> [Int32] {
        let r = try run(["ps", "--format", "json", id])
        XCTAssertEqual(r.status, 0, r.stderr)
        let text = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        if text == "null" { return [] }
        let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try XCTUnwrap(value as? [NSNumber], "ps json: \(text)").map(\.int32Value)
    }

    /// The container's processes per the kernel (cgroup.procs), once there are `count`.
    func waitForPids(_ id: String, count: Int, timeout: TimeInterval = 5) throws -> [Int32] {
        let c = try container(id)
        let dir = try c.cgroupDirectory(cgroups.isUnified ? "" : "pids")
        let deadline = Date().addingTimeInterval(timeout)
        var pids: [Int32] = []
        while Date() < deadline {
            let text = (try? String(contentsOfFile: dir + "/cgroup.procs", encoding: .utf8)) ?? ""
            pids = text.split(separator: "\n").compactMap { Int32($0) }
            if pids.count >= count { return pids }
            usleep(20_000)
        }
        XCTFail("\(id) has \(pids.count) processes, expected \(count)")
        throw CgroupCLIError.timeout
    }

    /// The state letter of /proc/<pid>/stat (R, S, D, T, Z...), nil once the pid is gone.
    func taskState(_ pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.range(of: ")", options: .backwards) else { return nil }
        return stat[close.upperBound...].split(separator: " ").first.map(String.init)
    }

    func jsonObject(_ text: String) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        return try XCTUnwrap(value as? [String: Any], "not a JSON object: \(text)")
    }

    private func outputFiles() -> (String, String) {
        counter += 1
        return (scratch + "/out-\(counter)", scratch + "/err-\(counter)")
    }

    private func launch(_ args: [String], stdin: String?) throws -> (Process, String, String) {
        let (outPath, errPath) = outputFiles()
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: runtime)
        process.arguments = ["--root", root] + args
        // Files, not pipes: a detached container inherits them and would hold a pipe open.
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        if let stdin {
            let inPath = scratch + "/in-\(counter)"
            try stdin.write(toFile: inPath, atomically: true, encoding: .utf8)
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inPath))
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        return (process, outPath, errPath)
    }

    func run(_ args: [String], stdin: String? = nil, timeout: TimeInterval = 30) throws -> CgroupCLIResult {
        let (process, outPath, errPath) = try launch(args, stdin: stdin)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTFail("\(args) did not finish in \(timeout)s")
        }
        let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return CgroupCLIResult(status: process.terminationStatus, stdout: out, stderr: err)
    }

    func background(_ args: [String]) throws -> CgroupCLIBackground {
        let (process, outPath, errPath) = try launch(args, stdin: nil)
        return CgroupCLIBackground(process: process, stdoutPath: outPath, stderrPath: errPath)
    }
}
