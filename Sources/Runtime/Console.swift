// The container's terminal: a pty from the container's own devpts, its slave as the
// process's stdio and controlling terminal, and bound over /dev/console.
#if canImport(Glibc)
import Glibc
#endif
import CShims
import Linux

struct Console {
    let master: Int32
    let slave: Int32
    let slavePath: String

    static func open() throws -> Console {
        let master = try check("open", path: "/dev/ptmx") { Glibc.open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC) }
        try check("ioctl TIOCSPTLCK", path: "/dev/ptmx") { sl_pty_unlock(master) }
        let number = try check("ioctl TIOCGPTN", path: "/dev/ptmx") { sl_pty_number(master) }
        let path = "/dev/pts/\(number)"
        // Through the master, never by its /dev/pts path: a volume mounted on /dev/pts can
        // make that path anything, a procfs file included (CVE-2025-52565).
        let slave = try check("ioctl TIOCGPTPEER", path: path) { sl_pty_peer(master, O_RDWR | O_NOCTTY | O_CLOEXEC) }
        return Console(master: master, slave: slave, slavePath: path)
    }

    func setWindowSize(rows: UInt, columns: UInt) throws {
        var size = winsize(ws_row: UInt16(clamping: rows), ws_col: UInt16(clamping: columns), ws_xpixel: 0, ws_ypixel: 0)
        try check("ioctl TIOCSWINSZ", path: slavePath) { sl_ioctl_ptr(master, UInt(TIOCSWINSZ), &size) }
    }

    func makeControllingTerminal() throws {
        _ = setsid()
        var zero: Int32 = 0
        try check("ioctl TIOCSCTTY", path: slavePath) { sl_ioctl_int(slave, UInt(TIOCSCTTY), &zero) }
        for target: Int32 in 0...2 {
            try check("dup2", path: slavePath) { dup2(slave, target) }
        }
    }

    /// Binds our pty (by its fd, not its path) over /dev/console, which is opened without
    /// following a symlink and checked before the mount targets that very inode: an image or
    /// a volume at /dev may have made /dev/console a symlink to a procfs file.
    func bindToDevConsole() throws {
        var target = Glibc.open("/dev/console", OpenFlag.path | O_NOFOLLOW | O_CLOEXEC)
        if target < 0 && errno == ENOENT {
            let created = Glibc.open("/dev/console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if created < 0 && errno != EEXIST { throw SyscallError("create", path: "/dev/console") }
            if created >= 0 { close(created) }
            target = Glibc.open("/dev/console", OpenFlag.path | O_NOFOLLOW | O_CLOEXEC)
        }
        if target < 0 { throw SyscallError("open", path: "/dev/console") }
        defer { close(target) }
        var st = stat()
        try check("fstat", path: "/dev/console") { fstat(target, &st) }
        let kind = st.st_mode & S_IFMT
        if kind != S_IFREG && kind != S_IFCHR {
            throw RuntimeError("/dev/console exists and is not a file or device")
        }
        try check("mount", path: "\(slavePath) on /dev/console") {
            mount("/proc/self/fd/\(slave)", "/proc/self/fd/\(target)", "bind", UInt(MS_BIND), nil)
        }
    }
}
