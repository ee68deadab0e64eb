// Signal names as `kill` accepts them: `TERM`, `SIGTERM`, `sigterm` or `15`; runc's names
// (SIGHUP..SIGSYS) plus IOT, POLL and RTMIN+n/RTMAX-n.
#if canImport(Glibc)
import Glibc
#endif

public enum Signals {
    public static let table: [(String, Int32)] = [
        ("HUP", SIGHUP), ("INT", SIGINT), ("QUIT", SIGQUIT), ("ILL", SIGILL), ("TRAP", SIGTRAP),
        ("ABRT", SIGABRT), ("IOT", SIGIOT), ("BUS", SIGBUS), ("FPE", SIGFPE), ("KILL", SIGKILL),
        ("USR1", SIGUSR1), ("SEGV", SIGSEGV), ("USR2", SIGUSR2), ("PIPE", SIGPIPE), ("ALRM", SIGALRM),
        ("TERM", SIGTERM), ("STKFLT", SIGSTKFLT), ("CHLD", SIGCHLD), ("CONT", SIGCONT), ("STOP", SIGSTOP),
        ("TSTP", SIGTSTP), ("TTIN", SIGTTIN), ("TTOU", SIGTTOU), ("URG", SIGURG), ("XCPU", SIGXCPU),
        ("XFSZ", SIGXFSZ), ("VTALRM", SIGVTALRM), ("PROF", SIGPROF), ("WINCH", SIGWINCH), ("IO", SIGIO),
        ("POLL", SIGPOLL), ("PWR", SIGPWR), ("SYS", SIGSYS),
    ]

    public static func parse(_ text: String) throws -> Int32 {
        // Any number, as runc takes it: 0 asks whether init is alive, and the kernel itself
        // refuses a number that is no signal.
        if let number = Int32(text) { return number }
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name = String(name.dropFirst(3)) }
        if name.hasPrefix("RTMIN") || name.hasPrefix("RTMAX") {
            let base = name.hasPrefix("RTMIN") ? Int32(34) : Int32(64)
            let rest = name.dropFirst(5)
            if rest.isEmpty { return base }
            if let offset = Int32(rest), (name.hasPrefix("RTMIN") ? offset > 0 : offset < 0) {
                let value = base + offset
                if value >= 34 && value <= 64 { return value }
            }
            throw RuntimeError("unknown signal \"\(text)\"")
        }
        for (n, value) in table where n == name { return value }
        throw RuntimeError("unknown signal \"\(text)\"")
    }
}
