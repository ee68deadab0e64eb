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
        let slave = try check("open", path: path) { Glibc.open(path, O_RDWR | O_NOCTTY | O_CLOEXEC) }
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

    func bindToDevConsole() throws {
        // An image may ship /dev/console as anything; make it an empty regular file we own.
        var st = stat()
        if lstat("/dev/console", &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG && (st.st_mode & S_IFMT) != S_IFCHR {
            throw RuntimeError("/dev/console exists and is not a file or device")
        }
        if lstat("/dev/console", &st) != 0 {
            let fd = try check("create", path: "/dev/console") { Glibc.open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0o600) }
            close(fd)
        }
        try check("mount", path: "\(slavePath) on /dev/console") {
            mount(slavePath, "/dev/console", "bind", UInt(MS_BIND), nil)
        }
    }
}
