// The error every failed syscall becomes: which operation, on which path, and errno, so a
// message reads like `mount /proc (on /run/x/rootfs/proc): operation not permitted`.
#if canImport(Glibc)
import Glibc
#endif

public struct SyscallError: Error, CustomStringConvertible, Equatable {
    public let operation: String
    public let path: String?
    public let errno: Int32

    public init(_ operation: String, path: String? = nil, errno: Int32 = Glibc.errno) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var description: String {
        let what = path.map { "\(operation) \($0)" } ?? operation
        return "\(what): \(errnoDescription(errno))"
    }
}

/// strerror's text in lower case, the form Go (and so runc) prints errno values in.
public func errnoDescription(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    var message = String(cString: text)
    if let first = message.first, first.isUppercase, !message.hasPrefix("I/O") {
        message = first.lowercased() + message.dropFirst()
    }
    return message
}

/// Runs a libc call that returns -1 on failure, retrying on EINTR, and throws with context.
@discardableResult
public func check(_ operation: String, path: String? = nil, _ call: () -> Int32) throws -> Int32 {
    while true {
        let result = call()
        if result != -1 { return result }
        if errno == EINTR { continue }
        throw SyscallError(operation, path: path, errno: errno)
    }
}
