// Runs OCI hooks: the container state as JSON on stdin, the hook's own args and env (nothing
// inherited), and its timeout enforced by killing it.
#if canImport(Glibc)
import Glibc
#endif
import CShims
import Linux
import OCISpec

public enum HookKind: String {
    case prestart, createRuntime, createContainer, startContainer, poststart, poststop
}

public enum HookRunner {
    /// Runs each hook in order; the first failure stops the rest and is thrown.
    public static func run(_ hooks: [Hook]?, kind: HookKind, state: State) throws {
        guard let hooks, !hooks.isEmpty else { return }
        let stateJSON = JSONWriter.bytes(state.json)
        for (index, hook) in hooks.enumerated() {
            do {
                try runOne(hook, stdin: stateJSON)
            } catch {
                throw RuntimeError("error running \(kind.rawValue) hook #\(index) (\(hook.path)): \(error)")
            }
        }
    }

    /// Runs every hook even when some fail; returns the failures (poststop: warnings only).
    public static func runAll(_ hooks: [Hook]?, kind: HookKind, state: State) -> [String] {
        guard let hooks, !hooks.isEmpty else { return [] }
        let stateJSON = JSONWriter.bytes(state.json)
        var failures: [String] = []
        for (index, hook) in hooks.enumerated() {
            do { try runOne(hook, stdin: stateJSON) } catch {
                failures.append("error running \(kind.rawValue) hook #\(index) (\(hook.path)): \(error)")
            }
        }
        return failures
    }

    static func runOne(_ hook: Hook, stdin input: [UInt8]) throws {
        var stdinPipe: [Int32] = [-1, -1]
        var outputPipe: [Int32] = [-1, -1]
        try check("pipe2") { sl_pipe2(&stdinPipe, O_CLOEXEC) }
        defer { if stdinPipe[1] >= 0 { close(stdinPipe[1]) } }
        do { try check("pipe2") { sl_pipe2(&outputPipe, O_CLOEXEC) } } catch { close(stdinPipe[0]); throw error }

        let args = (hook.args?.isEmpty ?? true) ? [hook.path] : hook.args!
        let argv = CStringArray(args)
        let envp = CStringArray(hook.env ?? [])
        let pid = argv.withPointer { a in envp.withPointer { e in
            sl_spawn_path(hook.path, a, e, stdinPipe[0], outputPipe[1], outputPipe[1])
        } }
        close(stdinPipe[0])
        close(outputPipe[1])
        if pid < 0 { close(outputPipe[0]); throw SyscallError("fork", path: hook.path) }

        // A hook that exits without reading its stdin must not kill us with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        try? FileSystem.writeAll(fd: stdinPipe[1], input)
        close(stdinPipe[1])
        stdinPipe[1] = -1

        let deadline = hook.timeout.map { monotonicNow() + Double($0) }
        let (status, output) = try waitWithOutput(pid: pid, outputFD: outputPipe[0], deadline: deadline)
        close(outputPipe[0])
        guard let status else {
            throw RuntimeError("timeout after \(hook.timeout ?? 0)s, hook killed")
        }
        switch status {
        case .exited(0): return
        case .exited(let code):
            throw RuntimeError("exit status \(code)\(outputSuffix(output))")
        case .signaled(let sig):
            throw RuntimeError("signal: \(signalName(sig))\(outputSuffix(output))")
        }
    }

    private static func outputSuffix(_ output: [UInt8]) -> String {
        let text = String(decoding: output.prefix(4096), as: UTF8.self)
        let trimmed = text.split(separator: "\n").joined(separator: " ")
        return trimmed.isEmpty ? "" : ", output: \(trimmed)"
    }

    /// Collects the hook's output while waiting for it; past the deadline it is SIGKILLed and
    /// nil is returned.
    static func waitWithOutput(pid: Int32, outputFD: Int32, deadline: Double?) throws -> (ExitStatus?, [UInt8]) {
        var output: [UInt8] = []
        let pidfd = sl_pidfd_open(pid, 0)
        var buffer = [UInt8](repeating: 0, count: 4096)
        var outputOpen = true
        while true {
            if let (_, status) = try ProcessInfo.wait(pid: pid, options: WNOHANG) {
                if pidfd >= 0 { close(pidfd) }
                // Drain what is left without blocking on a grandchild holding the pipe.
                _ = fcntl(outputFD, F_SETFL, O_NONBLOCK)
                while outputOpen {
                    let n = buffer.withUnsafeMutableBytes { read(outputFD, $0.baseAddress, $0.count) }
                    if n <= 0 { break }
                    output += buffer[0..<n]
                }
                return (status, output)
            }
            var timeoutMs: Int32 = -1
            if let deadline {
                let left = deadline - monotonicNow()
                if left <= 0 {
                    kill(pid, SIGKILL)
                    _ = try ProcessInfo.wait(pid: pid)
                    if pidfd >= 0 { close(pidfd) }
                    return (nil, output)
                }
                timeoutMs = Int32(min(left * 1000, 1_000_000)) + 1
            }
            var fds = [pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)]
            if outputOpen { fds.append(pollfd(fd: outputFD, events: Int16(POLLIN), revents: 0)) }
            if pidfd < 0 { timeoutMs = timeoutMs < 0 ? 10 : min(timeoutMs, 10) }
            let r = poll(&fds, nfds_t(fds.count), timeoutMs)
            if r < 0 && errno != EINTR { throw SyscallError("poll", path: "hook") }
            if outputOpen && fds.count > 1 && fds[1].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(outputFD, $0.baseAddress, $0.count) }
                if n > 0 { if output.count < 65536 { output += buffer[0..<n] } } else { outputOpen = false }
            }
        }
    }
}

public func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Go's names for signals, which runc's messages use.
public func signalName(_ sig: Int32) -> String {
    switch sig {
    case SIGKILL: return "killed"
    case SIGTERM: return "terminated"
    case SIGINT: return "interrupt"
    case SIGSEGV: return "segmentation fault"
    case SIGABRT: return "aborted"
    case SIGSYS: return "bad system call"
    case SIGHUP: return "hangup"
    default: return "signal \(sig)"
    }
}
