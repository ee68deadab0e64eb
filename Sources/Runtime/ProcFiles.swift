// Writes to /proc files that must reach the real procfs: a rootfs that mounts something over
// /proc/sys or plants a symlink must not redirect a sysctl write (CVE-2025-52881 class).
#if canImport(Glibc)
import Glibc
#endif
import CShims
import Linux

enum ProcFiles {
    static let procSuperMagic: Int = 0x9fa0

    static func write(_ path: String, _ value: String) throws {
        let fd = try check("open", path: path) { open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC) }
        defer { close(fd) }
        let type = sl_fstatfs_type(fd)
        if type < 0 { throw SyscallError("fstatfs", path: path) }
        if type != procSuperMagic {
            throw RuntimeError("\(path) is not on procfs (f_type 0x\(String(type, radix: 16))): refusing to write")
        }
        try FileSystem.writeAll(fd: fd, Array(value.utf8), path: path)
    }
}
