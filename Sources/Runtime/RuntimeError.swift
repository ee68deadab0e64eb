// An error the user reads as one line; runc's wording where engines match on it.

public struct RuntimeError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }

    public static let notExist = RuntimeError("container does not exist")
    public static let notRunning = RuntimeError("container not running")
}

/// Prefixes an error with the stage or operation it happened in.
public func context<T>(_ what: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch {
        throw RuntimeError("\(what): \(error)")
    }
}
