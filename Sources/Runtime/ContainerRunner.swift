// `run`: create and start, then, unless detached, stay with the container: forward signals
// to it, copy a terminal's I/O, and when it exits, delete it and return its exit code.
#if canImport(Glibc)
import Glibc
#endif
import CShims
import Linux
import OCISpec

public struct Runner {
    let options: CreateOptions
    let detach: Bool
    let keep: Bool

    public init(options: CreateOptions, detach: Bool, keep: Bool) {
        self.options = options
        self.detach = detach
        self.keep = keep
    }

    static let prSetChildSubreaper: Int32 = 36

    public func run() throws -> Int32 {
        let store = StateStore(root: options.root)
        // Signals wait in a signalfd from here on, so none is lost between create and the loop.
        let signals = detach ? -1 : sl_signalfd_all_blocked()
        if !detach && signals < 0 { throw SyscallError("signalfd") }
        defer { if signals >= 0 { close(signals); _ = sl_unblock_all_signals() } }
        _ = sl_prctl(Runner.prSetChildSubreaper, 1, 0, 0, 0)

        let created = try ContainerCreator(options: options).create()
        var container = Container(store: store, record: created.record)
        do {
            try container.start()
        } catch {
            try? container.delete(force: true)
            throw error
        }
        if detach { return 0 }

        var terminal: TerminalCopier?
        if let master = created.consoleMaster {
            terminal = TerminalCopier(master: master)
            terminal?.enterRawMode()
        }
        defer { terminal?.restore() }
        let status = try Runner.supervise(pid: container.record.initPid, signals: signals, terminal: &terminal)
        terminal?.drain()
        if !keep { try? container.delete(force: true) }
        return status.shellCode
    }

    /// poll(2) without a timeout; false when a signal interrupted it.
    private static func pollAll(_ fds: UnsafeMutablePointer<pollfd>, _ count: Int) throws -> Bool {
        if poll(fds, nfds_t(count), -1) >= 0 { return true }
        if errno == EINTR { return false }
        throw SyscallError("poll", path: "run")
    }

    /// Waits for `pid` (our child) to exit while forwarding signals to it (all but SIGCHLD,
    /// SIGWINCH and SIGURG) and copying a terminal's I/O.
    static func supervise(pid: Int32, signals: Int32, terminal: inout TerminalCopier?) throws -> ExitStatus {
        while true {
            let signalled: Bool
            if let t = terminal {
                var fds = [pollfd(fd: signals, events: Int16(POLLIN), revents: 0)] + t.pollFDs
                guard try pollAll(&fds, fds.count) else { continue }
                terminal?.handle(Array(fds[1...]))
                signalled = fds[0].revents != 0
            } else {
                // One pollfd, no [pollfd]: that array type's metadata cost every `run`.
                var fd = pollfd(fd: signals, events: Int16(POLLIN), revents: 0)
                guard try pollAll(&fd, 1) else { continue }
                signalled = fd.revents != 0
            }
            guard signalled else { continue }
            while true {
                let sig = sl_signalfd_read(signals)
                if sig < 0 { break }
                switch sig {
                case SIGCHLD:
                    // Reap everything; init's status is the answer.
                    while let (reaped, status) = try ProcessInfo.wait(pid: -1, options: WNOHANG) {
                        if reaped == pid { return status }
                    }
                case SIGWINCH:
                    terminal?.copyWindowSize()
                case SIGURG:
                    break
                default:
                    Glibc.kill(pid, sig)
                }
            }
        }
    }
}

/// Copies between our stdio and the container's pty for a foreground `run` with a terminal.
struct TerminalCopier {
    let master: Int32
    var saved = termios()
    var raw = false
    var stdinOpen = true

    init(master: Int32) {
        self.master = master
        copyWindowSize()
    }

    var pollFDs: [pollfd] {
        [pollfd(fd: master, events: Int16(POLLIN), revents: 0),
         pollfd(fd: stdinOpen ? 0 : -1, events: Int16(POLLIN), revents: 0)]
    }

    mutating func enterRawMode() {
        if isatty(0) == 1 && sl_set_raw(0, &saved) == 0 { raw = true }
    }

    func restore() {
        if raw { var s = saved; _ = sl_restore_termios(0, &s) }
    }

    func copyWindowSize() {
        var size = winsize()
        if sl_ioctl_ptr(0, UInt(TIOCGWINSZ), &size) == 0 {
            _ = sl_ioctl_ptr(master, UInt(TIOCSWINSZ), &size)
        }
    }

    mutating func handle(_ fds: [pollfd]) {
        var buffer = [UInt8](repeating: 0, count: 8192)
        if fds[0].revents != 0 {
            let n = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
            if n > 0 { try? FileSystem.writeAll(fd: 1, Array(buffer[0..<n])) }
        }
        if fds.count > 1 && fds[1].revents != 0 {
            let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n > 0 { try? FileSystem.writeAll(fd: master, Array(buffer[0..<n])) } else { stdinOpen = false }
        }
    }

    /// What the container wrote just before it exited.
    func drain() {
        _ = fcntl(master, F_SETFL, O_NONBLOCK)
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            try? FileSystem.writeAll(fd: 1, Array(buffer[0..<n]))
        }
        close(master)
    }
}
