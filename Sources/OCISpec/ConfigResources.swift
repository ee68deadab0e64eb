// `linux.resources` of config.json, also the body of `update --resources`.

public struct LinuxResources: Codable, Equatable, Sendable {
    public var devices: [LinuxDeviceCgroup]?
    public var memory: LinuxMemory?
    public var cpu: LinuxCPU?
    public var pids: LinuxPids?
    public var blockIO: LinuxBlockIO?
    public var hugepageLimits: [LinuxHugepageLimit]?
    public var network: LinuxNetwork?
    public var rdma: [String: LinuxRdma]?
    public var unified: [String: String]?
    public init() {}
}

public struct LinuxDeviceCgroup: Codable, Equatable, Sendable {
    public var allow: Bool = false
    public var type: String?
    public var major: Int64?
    public var minor: Int64?
    public var access: String?
    public init(allow: Bool = false, type: String? = nil, major: Int64? = nil, minor: Int64? = nil, access: String? = nil) {
        self.allow = allow; self.type = type; self.major = major; self.minor = minor; self.access = access
    }
}

public struct LinuxMemory: Codable, Equatable, Sendable {
    public var limit: Int64?
    public var reservation: Int64?
    public var swap: Int64?
    public var kernel: Int64?
    public var kernelTCP: Int64?
    public var swappiness: UInt64?
    public var disableOOMKiller: Bool?
    public var useHierarchy: Bool?
    public var checkBeforeUpdate: Bool?
    public init() {}
}

public struct LinuxCPU: Codable, Equatable, Sendable {
    public var shares: UInt64?
    public var quota: Int64?
    public var burst: UInt64?
    public var period: UInt64?
    public var realtimeRuntime: Int64?
    public var realtimePeriod: UInt64?
    public var cpus: String?
    public var mems: String?
    public var idle: Int64?
    public init() {}
}

public struct LinuxPids: Codable, Equatable, Sendable {
    public var limit: Int64?
    public init(limit: Int64? = nil) { self.limit = limit }
}

public struct LinuxBlockIO: Codable, Equatable, Sendable {
    public var weight: UInt16?
    public var leafWeight: UInt16?
    public var weightDevice: [LinuxWeightDevice]?
    public var throttleReadBpsDevice: [LinuxThrottleDevice]?
    public var throttleWriteBpsDevice: [LinuxThrottleDevice]?
    public var throttleReadIOPSDevice: [LinuxThrottleDevice]?
    public var throttleWriteIOPSDevice: [LinuxThrottleDevice]?
    public init() {}
}

public struct LinuxWeightDevice: Codable, Equatable, Sendable {
    public var major: Int64 = 0
    public var minor: Int64 = 0
    public var weight: UInt16?
    public var leafWeight: UInt16?
    public init() {}
}

public struct LinuxThrottleDevice: Codable, Equatable, Sendable {
    public var major: Int64 = 0
    public var minor: Int64 = 0
    public var rate: UInt64 = 0
    public init() {}
}

public struct LinuxHugepageLimit: Codable, Equatable, Sendable {
    public var pageSize: String = ""
    public var limit: UInt64 = 0
    public init() {}
}

public struct LinuxNetwork: Codable, Equatable, Sendable {
    public var classID: UInt32?
    public var priorities: [LinuxInterfacePriority]?
    public init() {}
}

public struct LinuxInterfacePriority: Codable, Equatable, Sendable {
    public var name: String = ""
    public var priority: UInt32 = 0
    public init() {}
}

public struct LinuxRdma: Codable, Equatable, Sendable {
    public var hcaHandles: UInt32?
    public var hcaObjects: UInt32?
    public init() {}
}
