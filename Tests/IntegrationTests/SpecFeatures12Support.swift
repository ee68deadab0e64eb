// Helpers of SpecFeatures12Tests only (prefixed F12 so they never clash with the other
// integration tests' support code): tools run with output in files, /proc readers, a
// busybox rootfs, bundles and their cleanup, the receiving end of --pidfd-socket.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

enum F12Environment {
    /// <root>/Tests/IntegrationTests/<this file>
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let runtimePath: String = {
        if let path = Foundation.ProcessInfo.processInfo.environment["SWIFTLET"], !path.isEmpty { return path }
        return packageRoot + "/bin/swiftlet"
    }()

    static let busybox = Foundation.ProcessInfo.processInfo.environment["BUSYBOX"] ?? "/bin/busybox"

    static func requireRunnable() throws {
        guard geteuid() == 0 else { throw XCTSkip("starts real containers: needs root (euid \(geteuid()))") }
        guard access(runtimePath, X_OK) == 0 else { throw XCTSkip("no runtime binary at \(runtimePath): run `make` or set SWIFTLET") }
        guard access(busybox, X_OK) == 0 else { throw XCTSkip("no static busybox at \(busybox)") }
    }

    static func requireCPUs(_ n: Int) throws {
        let list = (try? F12Proc.cpusAllowed("self")) ?? ""
        let count = list.split(separator: ",").reduce(0) { total, part in
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            return total + (bounds.count == 2 ? bounds[1] - bounds[0] + 1 : 1)
        }
        if count < n { throw XCTSkip("needs \(n) CPUs, the test may use \(list)") }
    }
}

struct F12Outcome: CustomStringConvertible {
    var argv: [String]
    var status: Int32
    var stdout: String
    var stderr: String

    /// stderr with the log's escaped quotes undone, for matching messages.
    var message: String { stderr.replacingOccurrences(of: "\\\"", with: "\"") }
    var description: String { "`\(argv.joined(separator: " "))` -> \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
}

enum F12Tool {
    static let path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Output goes to files: a detached container keeps the runtime's stdout and stderr open.
    static func run(_ argv: [String], cwd: String? = nil, timeout: Double = 60) throws -> F12Outcome {
        let dir = NSTemporaryDirectory() + "f12-out-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        FileManager.default.createFile(atPath: dir + ".out", contents: nil)
        FileManager.default.createFile(atPath: dir + ".err", contents: nil)
        defer { unlink(dir + ".out"); unlink(dir + ".err") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try resolve(argv[0]))
        process.arguments = Array(argv.dropFirst())
        process.environment = ["PATH": path]
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        process.standardOutput = FileHandle(forWritingAtPath: dir + ".out")
        process.standardError = FileHandle(forWritingAtPath: dir + ".err")
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline { kill(process.processIdentifier, SIGKILL) }
            usleep(2000)
        }
        let out = (try? String(contentsOfFile: dir + ".out", encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: dir + ".err", encoding: .utf8)) ?? ""
        return F12Outcome(argv: argv, status: process.terminationStatus, stdout: out, stderr: err)
    }

    @discardableResult
    static func checked(_ argv: [String]) throws -> F12Outcome {
        let result = try run(argv)
        guard result.status == 0 else { throw F12Failure("\(result)") }
        return result
    }

    static func resolve(_ name: String) throws -> String {
        if name.contains("/") { return name }
        for dir in path.split(separator: ":") where access("\(dir)/\(name)", X_OK) == 0 { return "\(dir)/\(name)" }
        throw F12Failure("\(name) not found in \(path)")
    }

    static func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }
}

struct F12Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

enum F12Proc {
    struct Stat { var nice: Int; var rtPriority: Int; var policy: Int }

    /// Fields of /proc/<pid>/stat (proc(5)), counted after the command name.
    static func stat(_ pid: Int32) throws -> Stat {
        let text = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        guard let close = text.lastIndex(of: ")") else { throw F12Failure("bad stat: \(text)") }
        let fields = text[text.index(after: close)...].split(separator: " ").map { Int($0) ?? 0 }
        // fields[0] is field 3 (state).
        return Stat(nice: fields[19 - 3], rtPriority: fields[40 - 3], policy: fields[41 - 3])
    }

    static func field(_ name: String, in text: String) -> String? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            return line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    static func cpusAllowed(_ pid: String) throws -> String {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let list = field("Cpus_allowed_list", in: status) else { throw F12Failure("no Cpus_allowed_list") }
        return list
    }
}

struct F12Bundle {
    var id: String
    var dir: String
}

/// config.json as JSON values, edited by dotted paths ("process.scheduler").
struct F12Config {
    var json: [String: Any]

    subscript(path: String) -> Any? {
        get {
            var node: Any? = json
            for key in path.split(separator: ".") { node = (node as? [String: Any])?[String(key)] }
            return node
        }
        set { json = F12Config.setting(json, path.split(separator: ".").map(String.init)[...], newValue) }
    }

    private static func setting(_ dict: [String: Any], _ keys: ArraySlice<String>, _ value: Any?) -> [String: Any] {
        var dict = dict
        guard let key = keys.first else { return dict }
        dict[key] = keys.count == 1 ? value : setting(dict[key] as? [String: Any] ?? [:], keys.dropFirst(), value)
        return dict
    }
}

/// One test's containers, bundles, state root and veth pairs, and their removal.
final class F12Scratch {
    let token = "f12" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
    let dir: String
    var state: String { dir + "/state" }
    private var ids: [String] = []
    private var veths: [String] = []
    private var serial = 0

    init() throws {
        dir = "/tmp/" + token
        try FileManager.default.createDirectory(atPath: dir + "/state", withIntermediateDirectories: true)
    }

    func runtime(_ args: [String]) -> [String] { [F12Environment.runtimePath, "--root", state] + args }

    func bundle(_ args: [String], _ edit: (inout F12Config) -> Void = { _ in }) throws -> F12Bundle {
        serial += 1
        let bundle = F12Bundle(id: "\(token)-\(serial)", dir: "\(dir)/bundle\(serial)")
        try FileManager.default.createDirectory(atPath: bundle.dir, withIntermediateDirectories: true)
        var config = F12Config(json: try F12Rootfs.baseConfig())
        config["root"] = ["path": try F12Rootfs.path(), "readonly": true]
        config["process.terminal"] = false
        config["process.args"] = args
        config["process.env"] = ["PATH=/bin:/sbin:/usr/bin:/usr/sbin", "F12_TOKEN=\(token)"]
        edit(&config)
        let data = try JSONSerialization.data(withJSONObject: config.json, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: bundle.dir + "/config.json"))
        return bundle
    }

    func configMountCount(_ bundle: F12Bundle) throws -> Int {
        let data = try Data(contentsOf: URL(fileURLWithPath: bundle.dir + "/config.json"))
        return ((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["mounts"] as? [Any])?.count ?? 0
    }

    /// `create`; returns the container's pid.
    func create(_ bundle: F12Bundle, flags: [String] = []) throws -> Int32 {
        ids.append(bundle.id)
        let result = try F12Tool.run(runtime(["create", "--bundle", bundle.dir] + flags + [bundle.id]))
        guard result.status == 0 else { throw F12Failure("create failed: \(result)") }
        let state = try F12Tool.checked(runtime(["state", bundle.id]))
        let json = try JSONSerialization.jsonObject(with: Data(state.stdout.utf8)) as? [String: Any]
        guard let pid = json?["pid"] as? Int, pid > 0 else { throw F12Failure("no pid in \(state)") }
        return Int32(pid)
    }

    /// `create` that must fail and leave no state, cgroup or process behind.
    func createExpectingFailure(_ bundle: F12Bundle, flags: [String] = [],
                                file: StaticString = #filePath, line: UInt = #line) throws -> F12Outcome {
        ids.append(bundle.id)
        var result = try F12Tool.run(runtime(["create", "--bundle", bundle.dir] + flags + [bundle.id]))
        XCTAssertNotEqual(result.status, 0, "create should fail: \(result)", file: file, line: line)
        let leftovers = leftovers(of: bundle.id)
        XCTAssertTrue(leftovers.isEmpty, "a failed create left \(leftovers)", file: file, line: line)
        result.stderr = result.message
        return result
    }

    /// `run` in the foreground; the container is gone when it returns.
    func run(_ bundle: F12Bundle, prefix: [String] = []) throws -> F12Outcome {
        ids.append(bundle.id)
        var result = try F12Tool.run(prefix + runtime(["run", "--bundle", bundle.dir, bundle.id]))
        result.stderr = result.message
        return result
    }

    func exec(_ id: String, _ args: [String], flags: [String] = []) throws -> F12Outcome {
        var result = try F12Tool.run(runtime(["exec"] + flags + [id] + args))
        result.stderr = result.message
        return result
    }

    func delete(_ id: String) throws {
        try F12Tool.checked(runtime(["delete", "--force", id]))
    }

    /// A fresh veth pair (host end, peer end), deleted at the end of the test.
    func vethPair() throws -> (String, String) {
        serial += 1
        let base = "f12" + String(UInt16.random(in: 0...UInt16.max), radix: 16) + "\(serial)"
        let (a, b) = (base + "a", base + "b")
        veths += [a, b]
        try F12Tool.checked(["ip", "link", "add", a, "type", "veth", "peer", "name", b])
        return (a, b)
    }

    private func leftovers(of id: String) -> [String] {
        var found: [String] = []
        if FileManager.default.fileExists(atPath: state + "/" + id) { found.append("state dir \(state)/\(id)") }
        for root in ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"] {
            let hierarchies = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
            for h in hierarchies {
                if let path = F12Scratch.findDir(named: id, under: root + "/" + h, depth: 0) { found.append("cgroup \(path)") }
            }
        }
        found += F12Scratch.processes(mentioning: token)
        return found
    }

    private static func findDir(named name: String, under dir: String, depth: Int) -> String? {
        guard depth < 6, let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return nil }
        for entry in entries {
            let path = dir + "/" + entry
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { continue }
            if entry == name { return path }
            if let deeper = findDir(named: name, under: path, depth: depth + 1) { return deeper }
        }
        return nil
    }

    /// Live processes (not zombies waiting for the machine's init) whose environment names
    /// the token: every container of the test has it.
    static func processes(mentioning token: String) -> [String] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
        return pids.compactMap { pid in
            guard pid != getpid(), let env = FileManager.default.contents(atPath: "/proc/\(pid)/environ"),
                  String(decoding: env, as: UTF8.self).contains(token),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let state = stat[stat.index(close, offsetBy: 2)]
            return state == "Z" ? nil : "process \(pid) (state \(state))"
        }
    }

    /// Deletes everything the test made; returns what still remained after that.
    func cleanUp() -> [String] {
        for id in ids { _ = try? F12Tool.run(runtime(["delete", "--force", id])) }
        for veth in veths where (try? F12Tool.run(["ip", "link", "show", veth]))?.status == 0 {
            _ = try? F12Tool.run(["ip", "link", "del", veth])
        }
        var remaining: [String] = []
        for id in ids where FileManager.default.fileExists(atPath: state + "/" + id) { remaining.append("state \(id)") }
        if !F12Tool.waitUntil(seconds: 5, { F12Scratch.processes(mentioning: token).isEmpty }) {
            remaining += F12Scratch.processes(mentioning: token)
        }
        try? FileManager.default.removeItem(atPath: dir)
        return remaining
    }
}

/// A busybox rootfs and `swiftlet spec`'s config, made once per test process; containers
/// share the rootfs read-only.
enum F12Rootfs {
    nonisolated(unsafe) private static var made: (path: String, config: [String: Any])?

    static func path() throws -> String { try make().path }
    static func baseConfig() throws -> [String: Any] { try make().config }

    private static func make() throws -> (path: String, config: [String: Any]) {
        if let made { return made }
        let dir = "/tmp/f12-rootfs-\(getpid())"
        let rootfs = dir + "/rootfs"
        try? FileManager.default.removeItem(atPath: dir)
        let fm = FileManager.default
        // mnt/a and mnt/b: mount points a user-namespaced root could not create.
        for sub in ["bin", "proc", "sys", "dev", "tmp", "etc", "root", "run", "mnt/a", "mnt/b"] {
            try fm.createDirectory(atPath: rootfs + "/" + sub, withIntermediateDirectories: true)
        }
        chmod(dir, 0o755)
        try fm.copyItem(atPath: F12Environment.busybox, toPath: rootfs + "/bin/busybox")
        let applets = try F12Tool.checked([F12Environment.busybox, "--list"]).stdout.split(separator: "\n")
        for applet in applets where applet != "busybox" {
            try fm.createSymbolicLink(atPath: rootfs + "/bin/" + applet, withDestinationPath: "busybox")
        }
        try "root:x:0:0:root:/root:/bin/sh\n".write(toFile: rootfs + "/etc/passwd", atomically: false, encoding: .utf8)
        try "root:x:0:\n".write(toFile: rootfs + "/etc/group", atomically: false, encoding: .utf8)
        try F12Tool.checked([F12Environment.runtimePath, "spec", "--bundle", dir])
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))
        guard let config = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw F12Failure("`spec` wrote no JSON object")
        }
        made = (rootfs, config)
        atexit { if let made = F12Rootfs.made { try? FileManager.default.removeItem(atPath: (made.path as NSString).deletingLastPathComponent) } }
        return (rootfs, config)
    }
}

/// The receiving end of --pidfd-socket: one connection, one message with an fd.
final class F12UnixListener {
    private let fd: Int32

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw F12Failure("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        precondition(bytes.count < MemoryLayout.size(ofValue: address.sun_path))
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(fd, 4) == 0 else { throw F12Failure("bind/listen \(path): \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    func receiveFD(timeout: Int32 = 10_000) throws -> (Int32, String) {
        var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&ready, 1, timeout) == 1 else { throw F12Failure("nobody connected to the pidfd socket") }
        let connection = accept(fd, nil, nil)
        guard connection >= 0 else { throw F12Failure("accept: \(String(cString: strerror(errno)))") }
        defer { close(connection) }
        var payload = [UInt8](repeating: 0, count: 256)
        // struct cmsghdr (size_t len, int level, int type) and one int, padded.
        let header = MemoryLayout<Int>.size + 8
        var control = [UInt8](repeating: 0, count: header + 8)
        let received: Int = payload.withUnsafeMutableBytes { data in
            control.withUnsafeMutableBytes { ctl in
                var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
                return withUnsafeMutablePointer(to: &vector) { v in
                    var message = msghdr()
                    message.msg_iov = v
                    message.msg_iovlen = 1
                    message.msg_control = ctl.baseAddress
                    message.msg_controllen = ctl.count
                    return recvmsg(connection, &message, Int32(MSG_CMSG_CLOEXEC))
                }
            }
        }
        guard received >= 0 else { throw F12Failure("recvmsg: \(String(cString: strerror(errno)))") }
        let (level, type, passed) = control.withUnsafeBytes { raw in
            (raw.load(fromByteOffset: MemoryLayout<Int>.size, as: Int32.self),
             raw.load(fromByteOffset: MemoryLayout<Int>.size + 4, as: Int32.self),
             raw.load(fromByteOffset: header, as: Int32.self))
        }
        guard level == SOL_SOCKET, type == Int32(SCM_RIGHTS) else { throw F12Failure("the message carried no fd") }
        return (passed, String(decoding: payload.prefix(received), as: UTF8.self))
    }
}

enum F12Pidfd {
    /// glibc 2.36's pidfd_send_signal, looked up at run time (the Glibc module lacks it).
    static func sendSignal(_ pidfd: Int32, _ signal: Int32) -> Int32 {
        typealias Function = @convention(c) (Int32, Int32, UnsafeMutableRawPointer?, UInt32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pidfd_send_signal") else {
            errno = ENOSYS
            return -1
        }
        return unsafeBitCast(symbol, to: Function.self)(pidfd, signal, nil, 0)
    }
}
