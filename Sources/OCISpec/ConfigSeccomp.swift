// `linux.seccomp` of config.json: the filter as the spec describes it, before libseccomp
// turns it into BPF.

public struct LinuxSeccomp: Codable, Equatable, Sendable {
    public var defaultAction: String = ""
    public var defaultErrnoRet: UInt?
    public var architectures: [String]?
    public var flags: [String]?
    public var listenerPath: String?
    public var listenerMetadata: String?
    public var syscalls: [LinuxSyscall]?
    public init() {}
}

public struct LinuxSyscall: Codable, Equatable, Sendable {
    public var names: [String] = []
    public var action: String = ""
    public var errnoRet: UInt?
    public var args: [LinuxSeccompArg]?
    public init(names: [String] = [], action: String = "") { self.names = names; self.action = action }
}

public struct LinuxSeccompArg: Codable, Equatable, Sendable {
    public var index: UInt = 0
    public var value: UInt64 = 0
    public var valueTwo: UInt64?
    public var op: String = ""
    public init() {}
}
