// features.json (features.md): what this runtime supports, printed by `swiftlet features`.

public struct Features: Codable, Equatable, Sendable {
    public var ociVersionMin: String?
    public var ociVersionMax: String?
    public var hooks: [String]?
    public var mountOptions: [String]?
    public var linux: LinuxFeatures?
    public var annotations: [String: String]?
    public var potentiallyUnsafeConfigAnnotations: [String]?
    public init() {}
}

public struct LinuxFeatures: Codable, Equatable, Sendable {
    public var namespaces: [String]?
    public var capabilities: [String]?
    public var cgroup: CgroupFeatures?
    public var seccomp: SeccompFeatures?
    public var apparmor: EnabledFeature?
    public var selinux: EnabledFeature?
    public var intelRdt: IntelRdtFeatures?
    public var memoryPolicy: MemoryPolicyFeatures?
    public var mountExtensions: MountExtensionsFeatures?
    public var netDevices: EnabledFeature?
    public init() {}
}

public struct CgroupFeatures: Codable, Equatable, Sendable {
    public var v1: Bool?
    public var v2: Bool?
    public var systemd: Bool?
    public var systemdUser: Bool?
    public var rdma: Bool?
    public init() {}
}

public struct SeccompFeatures: Codable, Equatable, Sendable {
    public var enabled: Bool?
    public var actions: [String]?
    public var operators: [String]?
    public var archs: [String]?
    public var knownFlags: [String]?
    public var supportedFlags: [String]?
    public init() {}
}

public struct EnabledFeature: Codable, Equatable, Sendable {
    public var enabled: Bool?
    public init(enabled: Bool? = nil) { self.enabled = enabled }
}

public struct IntelRdtFeatures: Codable, Equatable, Sendable {
    public var enabled: Bool?
    public var schemata: Bool?
    public var monitoring: Bool?
    public init() {}
}

public struct MemoryPolicyFeatures: Codable, Equatable, Sendable {
    public var modes: [String]?
    public var flags: [String]?
    public init() {}
}

public struct MountExtensionsFeatures: Codable, Equatable, Sendable {
    public var idmap: EnabledFeature?
    public init() {}
}
