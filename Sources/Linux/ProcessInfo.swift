// Facts about processes read from /proc, and waiting for children.
#if canImport(Glibc)
import Glibc
#endif
import CShims

public enum ExitStatus: Equatable {
    case exited(Int32)
    case signaled(Int32)

    public init(waitStatus: Int32) {
        if sl_wifsignaled(waitStatus) != 0 { self = .signaled(sl_wtermsig(waitStatus)) }
        else { self = .exited(sl_wexitstatus(waitStatus)) }
    }

    /// The shell's convention, which runc follows for `run`: 128 + signal number.
    public var shellCode: Int32 {
        switch self {
        case .exited(let code): return code
        case .signaled(let signal): return 128 + signal
        }
    }
}

public enum ProcessInfo {
    /// Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. With the pid it
    /// names one process for good, so a recycled pid is not mistaken for the container.
    public static func startTime(of pid: Int32) -> UInt64? {
        statFields(of: pid)?.startTime
    }

    /// Alive and the same process (start time matches), not a zombie: one read of the stat file.
    public static func isAlive(pid: Int32, startTime: UInt64?) -> Bool {
        guard let fields = sameProcess(pid: pid, startTime: startTime) else { return false }
        return fields.state != UInt8(ascii: "Z")
    }

    /// Alive and not yet exiting (no PF_EXITING in the flags): a pid namespace's init that has
    /// begun to exit is alive, not a zombie, while the kernel kills the rest of its namespace.
    public static func isRunning(pid: Int32, startTime: UInt64?) -> Bool {
        guard let fields = sameProcess(pid: pid, startTime: startTime) else { return false }
        let pfExiting: UInt64 = 0x4
        return fields.state != UInt8(ascii: "Z") && fields.flags & pfExiting == 0
    }

    /// The stat fields of pid, if it is still the process that started at startTime.
    private static func sameProcess(pid: Int32, startTime: UInt64?) -> (state: UInt8, flags: UInt64, startTime: UInt64)? {
        guard pid > 0, let fields = statFields(of: pid) else { return nil }
        if let startTime, startTime != fields.startTime { return nil }
        return fields
    }

    /// Fields 3 (state: R, S, D, Z, T, ...), 9 (flags, PF_*) and 22 (start time) of
    /// /proc/<pid>/stat, read as bytes: `list` asks this for every container.
    static func statFields(of pid: Int32) -> (state: UInt8, flags: UInt64, startTime: UInt64)? {
        guard let bytes = try? FileSystem.readFile("/proc/\(pid)/stat") else { return nil }
        return parseStatFields(bytes)
    }

    static func parseStatFields(_ bytes: [UInt8]) -> (state: UInt8, flags: UInt64, startTime: UInt64)? {
        // The command name (field 2) may hold spaces and parentheses: parse after the last ')'.
        // One pass over the fields up to the start time, without splitting all 52 of them
        // (`list` reads one of these per container).
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let space = UInt8(ascii: " ")
        var field = 2
        var index = close + 1
        var state: UInt8?
        var flags: UInt64?
        while index < bytes.count {
            if bytes[index] == space {
                index += 1
                continue
            }
            field += 1
            let begin = index
            while index < bytes.count && bytes[index] != space { index += 1 }
            switch field {
            case 3:
                guard index - begin == 1 else { return nil }
                state = bytes[begin]
            case 9:
                flags = decimalValue(bytes[begin..<index])
            case 22:
                guard let state, let flags, let start = decimalValue(bytes[begin..<index]) else { return nil }
                return (state, flags, start)
            default:
                break
            }
        }
        return nil
    }


    public static func threadCount() -> Int {
        // procfs gives /proc/self/task a link count of 2 + the number of threads: one stat
        // instead of generating and parsing /proc/self/status.
        var info = stat()
        guard stat("/proc/self/task", &info) == 0, info.st_nlink >= 3 else { return -1 }
        return Int(info.st_nlink) - 2
    }

    /// Whether our child `pid` has exited, without reaping it: one waitid(WNOHANG|WNOWAIT),
    /// no /proc read. An unreaped child keeps its pid, so it cannot be someone else's. nil
    /// when pid is not our child (ECHILD) or waitid fails otherwise: ask /proc then.
    public static func childHasExited(_ pid: Int32) -> Bool? {
        var info = siginfo_t()
        while true {
            if waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 {
                return info._sifields._sigchld.si_pid == pid
            }
            if errno != EINTR { return nil }
        }
    }

    /// waitpid retrying on EINTR.
    public static func wait(pid: Int32, options: Int32 = 0) throws -> (Int32, ExitStatus)? {
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, options)
            if r > 0 { return (r, ExitStatus(waitStatus: status)) }
            if r == 0 { return nil }
            if errno == EINTR { continue }
            throw SyscallError("waitpid", path: String(pid))
        }
    }

    public static func environment() -> [String] {
        var result: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            result.append(String(cString: entry))
            pointer += 1
        }
        return result
    }

    public static func getenv(_ name: String) -> String? {
        guard let value = Glibc.getenv(name) else { return nil }
        return String(cString: value)
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        var s = self
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}
