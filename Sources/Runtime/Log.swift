// Where runtime messages go: `--log FILE` (default stderr), in logrus's text format or, with
// `--log-format json`, one JSON object per line, the form engines parse for the last error.
#if canImport(Glibc)
import Glibc
#endif
import Linux
import OCISpec

public enum LogFormat: String { case text, json }

public enum LogLevel: String, Comparable {
    case debug, info, warning, error

    private var rank: Int {
        switch self { case .debug: 0; case .info: 1; case .warning: 2; case .error: 3 }
    }
    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rank < b.rank }
}

public final class Logger {
    public nonisolated(unsafe) static var shared = Logger()

    public private(set) var fd: Int32 = 2
    public var format: LogFormat = .text
    public var minimum: LogLevel = .info
    public var toStderr: Bool { fd == 2 }

    public init() {}

    /// Opens the log file for appending; engines hand the same file to several calls.
    public func open(path: String) throws {
        let newFD = try check("open", path: path) {
            Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        }
        fd = newFD
    }

    /// Reuses an fd inherited from the parent (the init process logs through it).
    public func use(fd: Int32) { self.fd = fd }

    public func debug(_ message: @autoclosure () -> String) {
        if minimum <= .debug { write(.debug, message()) }
    }
    public func info(_ message: String) { write(.info, message) }
    public func warning(_ message: String) { write(.warning, message) }
    public func error(_ message: String) { write(.error, message) }

    public func write(_ level: LogLevel, _ message: String) {
        guard level >= minimum else { return }
        let line: String
        switch format {
        case .json:
            line = "{\"level\":\"\(level.rawValue)\",\"msg\":\(jsonQuoted(message)),\"time\":\"\(rfc3339Now())\"}\n"
        case .text:
            line = "time=\"\(rfc3339Now())\" level=\(level.rawValue) msg=\(jsonQuoted(message))\n"
        }
        try? FileSystem.writeAll(fd: fd, Array(line.utf8))
    }
}

/// Now in RFC 3339 with nanoseconds, UTC (`2026-12-02T01:23:45.123456789Z`).
public func rfc3339Now() -> String {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return rfc3339(seconds: ts.tv_sec, nanoseconds: Int(ts.tv_nsec))
}

public func rfc3339(seconds: Int, nanoseconds: Int) -> String {
    var t = time_t(seconds)
    var tm = tm()
    gmtime_r(&t, &tm)
    func pad(_ v: Int32, _ width: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
    let nanos = String(nanoseconds)
    let frac = String(repeating: "0", count: 9 - nanos.count) + nanos
    return "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))T"
        + "\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2)).\(frac)Z"
}
