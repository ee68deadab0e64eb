// Writes to procfs files that must really be procfs files: /proc/thread-self/attr/... (the LSM
// interface for labels applied at the next exec), and any other /proc file init writes.
//
// These writes run in init inside the container's mount namespace, where a malicious image or a
// racing container can arrange for /proc/thread-self/attr/exec to be something else: a symlink,
// a bind mount of another proc file (CVE-2025-52881 redirected such writes to
// /proc/sys/kernel/core_pattern), or not procfs at all. So the path is resolved from a /proc
// verified to be the root of a procfs, without crossing a mount or following a magic link, and
// the opened file is checked to be on procfs before anything is written.
import CShims
import Glibc
import Linux

public enum SafeProcfs {
    static let procSuperMagic = 0x9fa0
    /// The root directory of every procfs instance has inode 1 (PROC_ROOT_INO).
    static let procRootInode: UInt = 1

    /// Writes `value` to /proc/`relativePath` (e.g. `thread-self/attr/exec`) in a single
    /// write(2), as LSMs require. When `fallback` is given and `relativePath` does not exist,
    /// writes there instead.
    public static func write(_ value: String, to relativePath: String, fallback: String? = nil) throws {
        let root = try openProcRoot()
        defer { close(root) }
        var target = relativePath
        var fd = openBeneath(root, relativePath)
        if fd < 0, errno == ENOENT, let fallback {
            target = fallback
            fd = openBeneath(root, fallback)
        }
        let path = "/proc/" + target
        if fd < 0 { throw SyscallError("open", path: path) }
        defer { close(fd) }
        try requireProcfs(fd, path)
        var bytes = Array(value.utf8)
        let written = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if written < 0 { throw SyscallError("write \(quoted(value)) to", path: path) }
        if written != bytes.count { throw SyscallError("write \(quoted(value)) to", path: path, errno: EIO) }
        bytes.removeAll()
    }

    /// An O_PATH fd of /proc, checked to be the root of a procfs.
    public static func openProcRoot() throws -> Int32 {
        let fd = try check("open", path: "/proc") { swiftlet_security_open_directory_path("/proc") }
        do {
            try requireProcfs(fd, "/proc")
            var info = stat()
            try check("fstat", path: "/proc") { fstat(fd, &info) }
            if info.st_ino != procRootInode {
                throw SyscallError("/proc is not the root of a procfs (inode \(info.st_ino)):", path: "/proc", errno: EXDEV)
            }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// openat2 refuses to leave /proc's mount (a bind mount over the attribute) and magic
    /// links; on kernels before 5.6 it is O_NOFOLLOW plus the procfs check alone.
    private static func openBeneath(_ root: Int32, _ path: String) -> Int32 {
        let flags = UInt64(O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
        let resolve = UInt64(SWIFTLET_RESOLVE_NO_XDEV | SWIFTLET_RESOLVE_NO_MAGICLINKS | SWIFTLET_RESOLVE_BENEATH)
        let fd = swiftlet_security_openat2(root, path, flags, resolve)
        if fd >= 0 || errno != ENOSYS { return fd }
        return openat(root, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
    }

    /// Throws (EXDEV) unless `fd` is on procfs.
    public static func requireProcfs(_ fd: Int32, _ path: String) throws {
        var type = 0
        var flags: UInt = 0
        try check("fstatfs", path: path) { swiftlet_security_fstatfs(fd, &type, &flags) }
        if type != procSuperMagic {
            throw SyscallError("refusing to write: not on procfs (f_type 0x\(String(type, radix: 16))):", path: path, errno: EXDEV)
        }
    }
}

/// Whether `path` can be opened for reading and its first bytes; nil when it cannot.
func readSmallFile(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { return nil }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 256)
    let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    return count < 0 ? nil : Array(buffer[0..<count])
}
