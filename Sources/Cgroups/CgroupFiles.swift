// The few file operations cgroupfs needs, straight on libc. Cgroup files are written with a
// single write(2) (the kernel parses one value per write) and are never created: a missing
// file means a missing controller or knob, which the caller turns into a precise error.
#if canImport(Glibc)
import Glibc
#endif
import CShims
import Linux

enum CgroupFiles {
    static func join(_ dir: String, _ name: String) -> String {
        if name.isEmpty { return dir }
        if dir.hasSuffix("/") { return dir + name }
        return dir + "/" + name
    }

    static func read(_ path: String) throws -> String {
        String(decoding: try readBytes(path), as: UTF8.self)
    }

    static func readBytes(_ path: String) throws -> [UInt8] {
        let fd = try check("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        return try FileSystem.readAll(fd: fd, path: path)
    }

    static func read(_ dir: String, _ file: String) throws -> String {
        try read(join(dir, file))
    }

    /// The file's content without the trailing newline the kernel appends.
    static func readTrimmed(_ dir: String, _ file: String) throws -> String {
        // Trimmed as bytes, before a String exists: these files are read on every state/list.
        var bytes = try readBytes(join(dir, file))
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: " ") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func write(_ path: String, _ value: String) throws {
        let fd = try check("open", path: path) { open(path, O_WRONLY | O_CLOEXEC | O_TRUNC) }
        defer { close(fd) }
        try write(fd: fd, value, path: path)
    }

    static func write(_ dir: String, _ file: String, _ value: String) throws {
        try write(join(dir, file), value)
    }

    /// Writes `values` in order, one write(2) each (a cgroup file takes one value per write),
    /// opening each file once instead of once per value.
    static func writeEach(_ dir: String, _ values: [(file: String, value: String)]) throws {
        var open: [String: Int32] = [:]
        defer { for fd in open.values { close(fd) } }
        for (file, value) in values {
            let path = join(dir, file)
            let fd: Int32
            if let known = open[file] {
                fd = known
            } else {
                fd = try check("open", path: path) { Glibc.open(path, O_WRONLY | O_CLOEXEC) }
                open[file] = fd
            }
            try write(fd: fd, value, path: path)
        }
    }

    /// The whole value, retrying after EINTR and a short write. Unlike FileSystem.writeAll an
    /// empty value is still written once: to a cgroup file that is a write of its own.
    private static func write(fd: Int32, _ value: String, path: String) throws {
        let utf8 = Array(value.utf8)
        var offset = 0
        repeat {
            let count = utf8.withUnsafeBytes { buffer in
                Glibc.write(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw SyscallError("write", path: path)
            }
            offset += count
        } while offset < utf8.count
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// mkdir -p; returns the directories it created, outermost first, so a failed create can
    /// remove exactly what it made.
    @discardableResult
    static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws -> [String] {
        // The parents nearly always exist: try the leaf first, walk up only when it is missing.
        if mkdir(path, mode) == 0 { return [path] }
        if errno == EEXIST {
            if isDirectory(path) { return [] }
            throw SyscallError("mkdir", path: path, errno: ENOTDIR)
        }
        if errno != ENOENT { throw SyscallError("mkdir", path: path) }
        var created: [String] = []
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, mode) == 0 {
                created.append(current)
            } else if errno != EEXIST {
                throw SyscallError("mkdir", path: current)
            } else if !isDirectory(current) {
                throw SyscallError("mkdir", path: current, errno: ENOTDIR)
            }
        }
        return created
    }

    /// Names of the subdirectories of `path` (child cgroups).
    static func subdirectories(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw SyscallError("opendir", path: path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name == "." || name == ".." { continue }
            let type = entry.pointee.d_type
            if type == UInt8(DT_DIR) || (type == UInt8(DT_UNKNOWN) && isDirectory(join(path, name))) {
                names.append(name)
            }
        }
        return names.sorted()
    }

    /// f_type of the filesystem holding `path`, or nil if statfs fails.
    static func filesystemType(_ path: String) -> Int? {
        let type = swiftlet_statfs_type(path)
        return type < 0 ? nil : Int(type)
    }

    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }
}

let cgroupSuperMagic = 0x27e0eb
let cgroup2SuperMagic = 0x63677270
let tmpfsMagic = 0x01021994

extension StringProtocol {
    /// ASCII-whitespace-trimmed on both ends: the kernel's files are ASCII, and
    /// Character.isWhitespace would page in the Unicode property tables for every cgroup write.
    var trimmed: SubSequence {
        var start = startIndex
        while start < endIndex, self[start].isASCIIWhitespace { start = index(after: start) }
        var end = endIndex
        while end > start, self[index(before: end)].isASCIIWhitespace { end = index(before: end) }
        return self[start..<end]
    }
}

extension Character {
    /// Space, \t, \n, \v, \f, \r (and "\r\n", one Character).
    var isASCIIWhitespace: Bool {
        guard let value = asciiValue else { return false }
        return value == 0x20 || (0x09...0x0d).contains(value)
    }
}
