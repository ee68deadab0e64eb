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
    let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
    let secondOfDay = seconds - days * 86400
    let (year, month, day) = civilDate(daysSinceEpoch: days)
    func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
    let nanos = String(nanoseconds)
    let frac = String(repeating: "0", count: 9 - nanos.count) + nanos
    return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
        + "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(frac)Z"
}

/// The proleptic Gregorian date of a day count from 1970-01-01 (Howard Hinnant's
/// civil_from_days). Not gmtime_r: glibc's reads /etc/localtime on first use even for UTC.
func civilDate(daysSinceEpoch days: Int) -> (year: Int, month: Int, day: Int) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let mp = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
}
