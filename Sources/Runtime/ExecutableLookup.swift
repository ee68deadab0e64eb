// Finding the process's executable the way Go's exec.LookPath does for runc, with runc's
// wording, which engines map to exit codes 127 (not found) and 126 (permission denied).
#if canImport(Glibc)
import Glibc
#endif
import Linux

enum ExecutableLookup {
    static func find(_ name: String, path: String?, cwd: String) throws -> String {
        if name.utf8.contains(UInt8(ascii: "/")) {
            if let problem = problem(name) { throw error(problem, path: name, display: name) }
            return name
        }
        // The $PATH walk only asks whether each candidate will do: building the error text of
        // every miss (strerror, lower-casing) cost more than the stat calls.
        for dir in (path ?? "").utf8.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false) {
            let base = dir.isEmpty ? "." : String(Substring(dir))
            let candidate = base + "/" + name
            if problem(candidate) == nil { return candidate }
        }
        throw RuntimeError("exec: \"\(name)\": executable file not found in $PATH")
    }

    enum Problem {
        case stat(errno: Int32)
        case directory
        case notExecutable
    }

    static func problem(_ path: String) -> Problem? {
        var st = stat()
        if stat(path, &st) != 0 { return .stat(errno: errno) }
        if (st.st_mode & S_IFMT) == S_IFDIR { return .directory }
        if st.st_mode & 0o111 == 0 { return .notExecutable }
        return nil
    }

    static func error(_ problem: Problem, path: String, display: String) -> RuntimeError {
        switch problem {
        case .stat(let code): RuntimeError("exec: \"\(display)\": stat \(path): \(errnoDescription(code))")
        case .directory: RuntimeError("exec: \"\(display)\": is a directory")
        case .notExecutable: RuntimeError("exec: \"\(display)\": permission denied")
        }
    }
}

/// /etc/passwd inside the container, for HOME.
enum UserDatabase {
    static func home(of uid: UInt32) -> String? {
        guard let text = try? FileSystem.readText("/etc/passwd") else { return nil }
        for line in text.utf8.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            if fields.count >= 6, decimalValue(fields[2]) == UInt64(uid) { return String(Substring(fields[5])) }
        }
        return nil
    }
}
