// Finding the process's executable the way Go's exec.LookPath does for runc, with runc's
// wording, which engines map to exit codes 127 (not found) and 126 (permission denied).
#if canImport(Glibc)
import Glibc
#endif
import Linux

enum ExecutableLookup {
    static func find(_ name: String, path: String?, cwd: String) throws -> String {
        if name.contains("/") {
            try checkExecutable(name, display: name)
            return name
        }
        for dir in (path ?? "").split(separator: ":", omittingEmptySubsequences: false) {
            let base = dir.isEmpty ? "." : String(dir)
            let candidate = base + "/" + name
            if (try? checkExecutable(candidate, display: name)) != nil { return candidate }
        }
        throw RuntimeError("exec: \"\(name)\": executable file not found in $PATH")
    }

    static func checkExecutable(_ path: String, display: String) throws {
        var st = stat()
        if stat(path, &st) != 0 {
            throw RuntimeError("exec: \"\(display)\": stat \(path): \(errnoDescription(errno))")
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            throw RuntimeError("exec: \"\(display)\": is a directory")
        }
        if st.st_mode & 0o111 == 0 {
            throw RuntimeError("exec: \"\(display)\": permission denied")
        }
    }
}

/// /etc/passwd inside the container, for HOME.
enum UserDatabase {
    static func home(of uid: UInt32) -> String? {
        guard let text = try? FileSystem.readText("/etc/passwd") else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count >= 6, UInt32(fields[2]) == uid { return String(fields[5]) }
        }
        return nil
    }
}
