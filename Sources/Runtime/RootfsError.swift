// Errors of rootfs setup: each names the stage it came from (`mounts[3]`, `devices`,
// `maskedPaths`...), what that stage was doing, and the underlying cause, so a message reads
// `mounts[3] (tmpfs on /run): mount: invalid argument`.

public struct RootfsError: Error, CustomStringConvertible {
    public let stage: String
    public let subject: String?
    public let underlying: Error

    public init(stage: String, subject: String? = nil, underlying: Error) {
        self.stage = stage; self.subject = subject; self.underlying = underlying
    }

    public var description: String {
        let head = subject.map { "\(stage) (\($0))" } ?? stage
        return "\(head): \(underlying)"
    }
}

/// A setup refused for a reason that is not a failed syscall (a mount that would land outside
/// the rootfs, a proc mount on a symlink...).
public struct RootfsViolation: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Runs `body`, wrapping any error it throws with the stage and subject.
@discardableResult
func inStage<T>(_ stage: String, _ subject: String? = nil, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch {
        throw RootfsError(stage: stage, subject: subject, underlying: error)
    }
}
