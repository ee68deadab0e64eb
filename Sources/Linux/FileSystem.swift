// Plain file and directory operations over libc, each failure a SyscallError naming the path.
#if canImport(Glibc)
import Glibc
#endif
import CShims

public enum FileSystem {
    public static func readFile(_ path: String) throws -> [UInt8] {
        let fd = try check("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        return try readAll(fd: fd, path: path)
    }

    public static func readAll(fd: Int32, path: String? = nil) throws -> [UInt8] {
        var result: [UInt8] = []
        // Most files read here (state.json, cgroup and /proc files) fit in a page. The chunk is
        // uninitialized stack memory: a zeroed heap chunk per read was 7% of `list`.
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16384) { chunk in
            while true {
                let n = read(fd, chunk.baseAddress, chunk.count)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SyscallError("read", path: path)
                }
                if n == 0 { return }
                result.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[..<n]))
            }
        }
        return result
    }

    public static func readText(_ path: String) throws -> String {
        String(decoding: try readFile(path), as: UTF8.self)
    }

    /// Writes to an existing file (cgroup and proc files) without creating or truncating it
    /// beyond what the kernel does; one write call, as those files want.
    public static func writeExisting(_ path: String, _ text: String) throws {
        let fd = try check("open", path: path) { open(path, O_WRONLY | O_CLOEXEC) }
        defer { close(fd) }
        try writeAll(fd: fd, Array(text.utf8), path: path)
    }

    public static func writeAll(fd: Int32, _ bytes: [UInt8], path: String? = nil) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SyscallError("write", path: path)
            }
            offset += n
        }
    }

    /// Temp file + rename: a reader (or a process killed part way) sees the old or the new
    /// content, never a torn one. No fsync, as runc: state and pid files describe processes
    /// that a machine crash ends anyway, and they normally live on a tmpfs (/run).
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600) throws {
        try commitTemporary(try writeTemporary(for: path, bytes, mode: mode), to: path)
    }

    /// writeAtomically's first half: the bytes in a temp file beside `path`, whose name it
    /// returns for commitTemporary.
    public static func writeTemporary(for path: String, _ bytes: [UInt8], mode: mode_t = 0o600) throws -> String {
        let temp = "\(path).tmp-\(getpid())"
        let fd = try check("open", path: temp) { open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode) }
        do {
            try writeAll(fd: fd, bytes, path: temp)
            close(fd)
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        return temp
    }

    /// writeAtomically's second half: the temp file takes `path`'s name. A regular file already
    /// there is swapped out (renameat2 RENAME_EXCHANGE) and then removed instead of renamed
    /// over: ext4 (auto_da_alloc, its default) writes out a file renamed over another before the
    /// rename returns, ~0.15 ms here, a cost `--pid-file` paid on every reuse of its path.
    /// Readers see the old file or the new one, never neither. Filesystems without the exchange
    /// (EINVAL) get the plain rename.
    public static func commitTemporary(_ temp: String, to path: String) throws {
        var st = stat()
        if lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG, sl_rename_exchange(temp, path) == 0 {
            unlink(temp)  // the old file, under the temp name now
            return
        }
        do {
            try check("rename", path: path) { rename(temp, path) }
        } catch {
            unlink(temp)
            throw error
        }
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// mkdir -p; existing directories are fine.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws {
        if isDirectory(path) { return }
        let parent = parentDirectory(of: path)
        if parent != path && !parent.isEmpty { try makeDirectories(parent, mode: mode) }
        if mkdir(path, mode) != 0 && errno != EEXIST {
            throw SyscallError("mkdir", path: path)
        }
    }

    public static func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw SyscallError("opendir", path: path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// rm -rf that does not follow symlinks; a missing path is not an error.
    public static func removeTree(_ path: String) throws {
        var st = stat()
        if lstat(path, &st) != 0 {
            if errno == ENOENT { return }
            throw SyscallError("lstat", path: path)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in try listDirectory(path) { try removeTree("\(path)/\(name)") }
            if rmdir(path) != 0 && errno != ENOENT { throw SyscallError("rmdir", path: path) }
        } else if unlink(path) != 0 && errno != ENOENT {
            throw SyscallError("unlink", path: path)
        }
    }

    public static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    public static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return normalize(path) }
        return normalize(currentDirectory() + "/" + path)
    }

    public static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "/" }
        return String(cString: buffer)
    }

    /// Lexical clean-up of a path: `//`, `.` and `..` components, like Go's filepath.Clean.
    public static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in LexicalPath.parts(path) {
            if LexicalPath.isDot(part) { continue }
            if LexicalPath.isDotDot(part) {
                if let last = parts.last, !LexicalPath.isDotDot(last) { parts.removeLast() }
                else if !absolute { parts.append(part) }
                continue
            }
            parts.append(part)
        }
        // A loop: joined(separator:) on [Substring] ran its unspecialized generic path.
        var joined = absolute ? "/" : ""
        for (index, part) in parts.enumerated() {
            if index > 0 { joined += "/" }
            joined.append(contentsOf: part)
        }
        return joined.isEmpty ? "." : joined
    }
}
