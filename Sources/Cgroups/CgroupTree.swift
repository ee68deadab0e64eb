// Operations on a cgroup directory and everything below it, shared by the v1 and v2 managers.
#if canImport(Glibc)
import Glibc
#endif
import Linux

enum CgroupTree {
    /// Removes `path` and its child cgroups, deepest first. A cgroup whose last process is
    /// still exiting answers EBUSY for a moment; retry with a doubling delay (about 1 s in
    /// all). A missing directory is success.
    static func remove(_ path: String) throws {
        if rmdir(path) == 0 || errno == ENOENT { return }
        let children: [String]
        do {
            children = try CgroupFiles.subdirectories(path)
        } catch let error as SyscallError where error.errno == ENOENT {
            return
        }
        for child in children {
            try remove(CgroupFiles.join(path, child))
        }
        var delayMicroseconds: UInt32 = 1000
        for attempt in 0...10 {
            if rmdir(path) == 0 || errno == ENOENT { return }
            let code = errno
            if code == EINTR { continue }
            if code != EBUSY || attempt == 10 { throw SyscallError("rmdir", path: path, errno: code) }
            usleep(delayMicroseconds)
            delayMicroseconds *= 2
        }
    }

    /// PIDs listed in `dir`/cgroup.procs (cgroup.threads for a threaded v2 cgroup).
    static func processes(in dir: String) throws -> [Int32] {
        let text: String
        do {
            text = try CgroupFiles.read(dir, "cgroup.procs")
        } catch let error as SyscallError where error.errno == EOPNOTSUPP {
            text = try CgroupFiles.read(dir, "cgroup.threads")
        }
        return text.split(separator: "\n").compactMap { Int32($0.trimmed) }
    }

    /// PIDs of `dir` and all its descendants. Child cgroups may vanish during the walk; only
    /// a failure on `dir` itself is an error.
    static func allProcesses(in dir: String) throws -> [Int32] {
        var result = try processes(in: dir)
        var pending = (try? CgroupFiles.subdirectories(dir))?.map { CgroupFiles.join(dir, $0) } ?? []
        while let next = pending.popLast() {
            guard let found = try? processes(in: next) else { continue }
            result += found
            if let children = try? CgroupFiles.subdirectories(next) {
                pending += children.map { CgroupFiles.join(next, $0) }
            }
        }
        return result
    }

    /// Writes `pid` to `dir`/cgroup.procs. EINVAL can mean the task is still being born
    /// (TASK_NEW); retry a few times.
    static func addProcess(_ pid: Int32, to dir: String) throws {
        let path = CgroupFiles.join(dir, "cgroup.procs")
        var attempt = 0
        while true {
            do {
                try CgroupFiles.write(path, String(pid))
                return
            } catch let error as SyscallError where error.errno == EINVAL && attempt < 4 {
                attempt += 1
                usleep(30_000)
            }
        }
    }

    /// Sends `signal` to each pid; a process that already exited (ESRCH) is not an error.
    static func signal(_ pids: [Int32], _ signal: Int32) throws {
        var failures: [String] = []
        for pid in pids where kill(pid, signal) != 0 && errno != ESRCH {
            failures.append("kill \(pid): \(errnoDescription(errno))")
        }
        if !failures.isEmpty {
            throw CgroupError("signal container processes: " + failures.joined(separator: "; "))
        }
    }

    /// Directories in `paths`, each once (co-mounted controllers share one), in a stable order.
    static func uniqueDirectories(_ paths: [String: String]) -> [String] {
        var result: [String] = []
        for key in paths.keys.sorted() {
            let dir = paths[key]!
            if !dir.isEmpty && !result.contains(dir) { result.append(dir) }
        }
        return result
    }

    /// "key value" lines (cpu.stat, memory.stat, memory.events) as a dictionary.
    static func keyValues(_ text: String) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let value = parseUInt(parts[1]) else { continue }
            result[String(parts[0])] = value
        }
        return result
    }

    /// A cgroup number; "max" reads as UInt64.max.
    static func parseUInt<S: StringProtocol>(_ text: S) -> UInt64? {
        let trimmed = text.trimmed
        if trimmed == "max" { return UInt64.max }
        return UInt64(trimmed)
    }

    static func readUInt(_ dir: String, _ file: String) throws -> UInt64 {
        let path = CgroupFiles.join(dir, file)
        let text = try CgroupFiles.read(path)
        guard let value = parseUInt(text) else {
            throw CgroupError("parse \(path): \"\(text.trimmed)\" is not a number")
        }
        return value
    }
}
