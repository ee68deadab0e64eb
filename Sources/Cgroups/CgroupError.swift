// Errors of the cgroup layer. Each names what it was doing: the config.json field being
// applied when there is one, so a message reads like
// `linux.resources.memory.limit: write /sys/fs/cgroup/memory/x/memory.limit_in_bytes: device or resource busy`.
import Linux

public struct CgroupError: Error, CustomStringConvertible, Equatable, Sendable {
    /// JSON path of the config.json field being applied (`linux.resources.pids.limit`), or nil
    /// for operations that are not about a field (create, destroy, freeze).
    public let field: String?
    public let message: String
    /// errno of the failed syscall, when the failure came from one.
    public let errno: Int32?

    public init(field: String? = nil, _ message: String, errno: Int32? = nil) {
        self.field = field
        self.message = message
        self.errno = errno
    }

    public init(field: String? = nil, _ error: SyscallError) {
        self.init(field: field, error.description, errno: error.errno)
    }

    public var description: String {
        guard let field else { return message }
        return "\(field): \(message)"
    }

    /// The same failure attributed to `field`, unless it already names one.
    func attributed(to field: String) -> CgroupError {
        self.field == nil ? CgroupError(field: field, message, errno: errno) : self
    }
}

/// Runs `body`, turning any failure into a CgroupError that names `field`.
func withField<T>(_ field: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as CgroupError {
        throw error.attributed(to: field)
    } catch let error as SyscallError {
        throw CgroupError(field: field, error)
    }
}
