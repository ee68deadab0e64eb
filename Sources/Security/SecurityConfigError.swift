// A config.json value the Security target cannot honour, named by its JSON path so the user
// can find it: `linux.seccomp.syscalls[3].action: unknown action "X"`.

public struct SecurityConfigError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let message: String

    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
