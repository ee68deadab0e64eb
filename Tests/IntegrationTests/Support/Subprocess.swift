// Spawning the runtime (and helper tools) with posix_spawn rather than Foundation's Process:
// the tests need exact control of which fds the child inherits (--preserve-fds, LISTEN_FDS,
// console sockets) and the pid itself, and stdout/stderr go to files so a detached container
// that inherits them can never make a read block.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a finished child ended; `exitCode` folds a fatal signal into 128+N like a shell.
struct Termination: Equatable, CustomStringConvertible {
    var status: Int32?
    var signal: Int32?

    init(waitStatus: Int32) {
        if waitStatus & 0x7f == 0 {
            status = (waitStatus >> 8) & 0xff
        } else {
            signal = waitStatus & 0x7f
        }
    }

    var exitCode: Int32 { status ?? 128 + (signal ?? 0) }
    var description: String { status.map { "exit \($0)" } ?? "signal \(signal ?? 0)" }
}

struct CommandResult: CustomStringConvertible {
    var argv: [String]
    var termination: Termination
    var stdout: String
    var stderr: String
    var timedOut: Bool

    var exitCode: Int32 { termination.exitCode }
    var succeeded: Bool { termination.status == 0 && !timedOut }
    var description: String {
        "`\(argv.joined(separator: " "))` -> \(termination)\(timedOut ? " (timed out)" : "")\n"
            + "stdout: \(stdout.debugDescription)\nstderr: \(stderr.debugDescription)"
    }
}

struct SpawnError: Error, CustomStringConvertible {
    var description: String
}

/// A child process whose stdout and stderr are captured to files in `outputDir`.
final class Subprocess {
    let argv: [String]
    let pid: pid_t
    private let stdoutPath: String
    private let stderrPath: String
    private(set) var termination: Termination?
    private(set) var timedOut = false

    /// - extraFDs: child fd -> parent fd, for fds beyond stdio (e.g. [3: someFD]).
    /// - stdin: a file to read stdin from; /dev/null when nil.
    init(_ argv: [String], outputDir: String, cwd: String? = nil, environment: [String: String]? = nil,
         stdin: String? = nil, extraFDs: [Int32: Int32] = [:]) throws {
        precondition(!argv.isEmpty)
        self.argv = argv
        let tag = "\(getpid())-\(Subprocess.nextSerial())"
        stdoutPath = outputDir + "/.out-\(tag)"
        stderrPath = outputDir + "/.err-\(tag)"

        let outFD = open(stdoutPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let errFD = open(stderrPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let inFD = open(stdin ?? "/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(outFD); close(errFD); close(inFD) }
        guard outFD >= 0, errFD >= 0, inFD >= 0 else {
            throw SpawnError(description: "opening stdio files in \(outputDir): \(String(cString: strerror(errno)))")
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 onto the same number would keep FD_CLOEXEC, so every source is first moved high.
        var temporaries: [Int32] = []
        defer { temporaries.forEach { close($0) } }
        func high(_ fd: Int32) -> Int32 {
            let copy = fcntl(fd, F_DUPFD_CLOEXEC, 200)
            temporaries.append(copy)
            return copy
        }
        posix_spawn_file_actions_adddup2(&actions, high(inFD), 0)
        posix_spawn_file_actions_adddup2(&actions, high(outFD), 1)
        posix_spawn_file_actions_adddup2(&actions, high(errFD), 2)
        for (child, parent) in extraFDs.sorted(by: { $0.key < $1.key }) {
            posix_spawn_file_actions_adddup2(&actions, high(parent), child)
        }
        // Anything else the test process holds open (XCTest, Foundation) stays out of the child.
        let firstFree = (extraFDs.keys.max() ?? 2) + 1
        Subprocess.addCloseFrom(&actions, firstFree)
        if let cwd { Subprocess.addChdir(&actions, cwd) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // XCTest may block or ignore signals; the child starts with the defaults.
        var defaults = sigset_t()
        sigfillset(&defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cEnv: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        defer { (cArgs + cEnv).forEach { free($0) } }

        var child: pid_t = 0
        let rc = posix_spawnp(&child, argv[0], &actions, &attributes, &cArgs, &cEnv)
        guard rc == 0 else {
            throw SpawnError(description: "posix_spawn \(argv[0]): \(String(cString: strerror(rc)))")
        }
        pid = child
    }

    var isRunning: Bool {
        if termination != nil { return false }
        var status: Int32 = 0
        let rc = waitpid(pid, &status, WNOHANG)
        if rc == pid {
            termination = Termination(waitStatus: status)
            return false
        }
        return rc == 0
    }

    /// Waits up to `timeout` seconds; on expiry kills the child with SIGKILL and marks it timed out.
    @discardableResult
    func wait(timeout: Double = 20) -> CommandResult {
        let deadline = Date().addingTimeInterval(timeout)
        var pause: useconds_t = 500
        while isRunning {
            if Date() > deadline {
                kill(pid, SIGKILL)
                timedOut = true
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                termination = Termination(waitStatus: status)
                break
            }
            usleep(pause)
            pause = min(pause * 2, 10_000)
        }
        return result
    }

    var result: CommandResult {
        CommandResult(argv: argv, termination: termination ?? Termination(waitStatus: 0x7f),
                      stdout: Subprocess.read(stdoutPath), stderr: Subprocess.read(stderrPath),
                      timedOut: timedOut)
    }

    /// Kills a child that is still running (cleanup path) and reaps it.
    func killAndReap() {
        guard isRunning else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        termination = Termination(waitStatus: status)
    }

    static func read(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { return "" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs a command to completion.
    static func run(_ argv: [String], outputDir: String, cwd: String? = nil,
                    environment: [String: String]? = nil, timeout: Double = 20) throws -> CommandResult {
        try Subprocess(argv, outputDir: outputDir, cwd: cwd, environment: environment).wait(timeout: timeout)
    }

    nonisolated(unsafe) private static var serial = 0
    private static let serialLock = NSLock()
    private static func nextSerial() -> Int {
        serialLock.lock()
        defer { serialLock.unlock() }
        serial += 1
        return serial
    }

    // glibc has posix_spawn_file_actions_addclosefrom_np (2.34+) and _addchdir_np (2.29+) but
    // the Glibc module does not export them.
    private typealias Chdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private static let chdir: Chdir? = {
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np")
            .map { unsafeBitCast($0, to: Chdir.self) }
    }()

    private static func addChdir(_ actions: inout posix_spawn_file_actions_t, _ dir: String) {
        guard let chdir else { preconditionFailure("libc without posix_spawn_file_actions_addchdir_np") }
        _ = chdir(&actions, dir)
    }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let closeFrom: CloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        else { return nil }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()

    private static func addCloseFrom(_ actions: inout posix_spawn_file_actions_t, _ fd: Int32) {
        if let closeFrom {
            _ = closeFrom(&actions, fd)
        } else {
            // Older libc: close what is open now, one by one.
            let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
            for name in open { if let n = Int32(name), n >= fd, n < 200 { posix_spawn_file_actions_addclose(&actions, n) } }
        }
    }
}
