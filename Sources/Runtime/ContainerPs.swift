// `ps`: the container's processes are its cgroup's. The JSON form is the pid list; the table
// form runs the host's `ps` (default `-ef`) and keeps the header and the rows whose PID column
// holds one of those pids, as runc does.
#if canImport(Glibc)
import Glibc
#endif
import CShims
import Linux

extension Container {
    /// Host pids of every process in the container's cgroups. A stopped container whose
    /// cgroup is already gone has none.
    public func processes() throws -> [Int32] {
        guard let cgroup = cgroup() else { return status == .stopped ? [] : Self.pidNamespaceMembers(of: record.initPid) }
        do {
            return try cgroup.pids()
        } catch {
            if status == .stopped && !cgroup.exists() { return [] }
            throw RuntimeError("unable to get all container pids: \(error)")
        }
    }
}

extension Container {
    /// Without a cgroup (rootless, none delegated) the container's processes are those in
    /// init's pid namespace, when it has its own; otherwise just init.
    static func pidNamespaceMembers(of initPid: Int32) -> [Int32] {
        func pidNamespace(_ pid: String) -> String? {
            var buffer = [CChar](repeating: 0, count: 64)
            let n = readlink("/proc/\(pid)/ns/pid", &buffer, buffer.count - 1)
            return n > 0 ? String(cString: buffer) : nil
        }
        guard let target = pidNamespace(String(initPid)) else { return [] }
        guard target != pidNamespace("self"), let dir = opendir("/proc") else { return [initPid] }
        defer { closedir(dir) }
        var pids: [Int32] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            guard let pid = Int32(name), pidNamespace(name) == target else { continue }
            pids.append(pid)
        }
        return pids.sorted()
    }
}

public enum ProcessTable {
    /// Go's encoding of a []int: `[1,2]`, and `null` for none (runc's list is nil then).
    public static func json(_ pids: [Int32]) -> String {
        pids.isEmpty ? "null" : "[" + pids.map(String.init).joined(separator: ",") + "]"
    }

    /// The header line and the lines of `output` whose PID field is in `pids`, each with its
    /// newline.
    public static func filter(_ output: String, pids: [Int32]) throws -> String {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        let header = lines.first.map(String.init) ?? ""
        let titles = header.split(whereSeparator: isBlank)
        guard let pidIndex = titles.firstIndex(of: "PID") else {
            throw RuntimeError("couldn't find PID field in ps output")
        }
        let wanted = Set(pids)
        var out = header + "\n"
        for line in lines.dropFirst() where !line.isEmpty {
            let fields = line.split(whereSeparator: isBlank)
            guard pidIndex < fields.count, let pid = Int32(fields[pidIndex]) else {
                let field = pidIndex < fields.count ? String(fields[pidIndex]) : ""
                throw RuntimeError("unable to parse pid: strconv.Atoi: parsing \(CommandLineValues.goQuoted(field)): invalid syntax")
            }
            if wanted.contains(pid) { out += line + "\n" }
        }
        return out
    }

    private static func isBlank(_ c: Character) -> Bool { c == " " || c == "\t" }

    /// Runs the host's `ps` with `arguments` (runc's default `-ef`), stdout and stderr
    /// together; a failure carries the output, as Go's CombinedOutput error does.
    public static func runPs(_ arguments: [String]) throws -> String {
        let args = arguments.isEmpty ? ["-ef"] : arguments
        let path = try ExecutableLookup.find("ps", path: ProcessInfo.getenv("PATH") ?? "/usr/bin:/bin", cwd: FileSystem.currentDirectory())
        var pipeFDs: [Int32] = [-1, -1]
        if sl_pipe2(&pipeFDs, O_CLOEXEC) != 0 { throw SyscallError("pipe2", path: "ps") }
        let argv = CStringArray(["ps"] + args)
        let envp = CStringArray(ProcessInfo.environment())
        let pid = argv.withPointer { a in envp.withPointer { e in
            sl_spawn_path(path, a, e, -1, pipeFDs[1], pipeFDs[1])
        } }
        close(pipeFDs[1])
        if pid < 0 {
            close(pipeFDs[0])
            throw SyscallError("fork", path: path)
        }
        let output = (try? FileSystem.readAll(fd: pipeFDs[0], path: "ps output")) ?? []
        close(pipeFDs[0])
        let text = String(decoding: output, as: UTF8.self)
        guard let (_, status) = try ProcessInfo.wait(pid: pid) else {
            throw RuntimeError("ps: wait for pid \(pid) returned nothing")
        }
        switch status {
        case .exited(0): return text
        case .exited(let code): throw RuntimeError("exit status \(code): \(text)")
        case .signaled(let sig): throw RuntimeError("signal: \(signalName(sig)): \(text)")
        }
    }
}
