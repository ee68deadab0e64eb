// Codable models of the OCI runtime-spec v1.3 `config.json`, the parts Linux uses.
//
// Property names are the JSON keys, so the synthesized coding keys match the spec. Fields the
// spec marks REQUIRED are non-optional (a missing one is a decoding error that names its path);
// everything else is optional, which is how Go's `omitempty` reads in Swift. Types follow the
// names of the spec's Go package so readers of both can map one to the other.

public struct Spec: Codable, Equatable, Sendable {
    public var ociVersion: String = ""
    public var process: Process?
    public var root: Root?
    public var hostname: String?
    public var domainname: String?
    public var mounts: [Mount]?
    public var hooks: Hooks?
    public var annotations: [String: String]?
    public var linux: Linux?
    public init() {}
}

public struct Process: Codable, Equatable, Sendable {
    public var terminal: Bool?
    public var consoleSize: Box?
    public var user: User = User()
    public var args: [String]?
    public var env: [String]?
    public var cwd: String = ""
    public var capabilities: LinuxCapabilities?
    public var rlimits: [POSIXRlimit]?
    public var noNewPrivileges: Bool?
    public var apparmorProfile: String?
    public var oomScoreAdj: Int?
    public var scheduler: Scheduler?
    public var selinuxLabel: String?
    public var ioPriority: LinuxIOPriority?
    public var execCPUAffinity: CPUAffinity?
    public init() {}
}

public struct Box: Codable, Equatable, Sendable {
    public var height: UInt = 0
    public var width: UInt = 0
    public init(height: UInt = 0, width: UInt = 0) { self.height = height; self.width = width }
}

public struct User: Codable, Equatable, Sendable {
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0
    public var umask: UInt32?
    public var additionalGids: [UInt32]?
    public init(uid: UInt32 = 0, gid: UInt32 = 0) { self.uid = uid; self.gid = gid }
}

public struct LinuxCapabilities: Codable, Equatable, Sendable {
    public var bounding: [String]?
    public var effective: [String]?
    public var inheritable: [String]?
    public var permitted: [String]?
    public var ambient: [String]?
    public init() {}
}

public struct POSIXRlimit: Codable, Equatable, Sendable {
    public var type: String = ""
    public var hard: UInt64 = 0
    public var soft: UInt64 = 0
    public init(type: String = "", hard: UInt64 = 0, soft: UInt64 = 0) {
        self.type = type; self.hard = hard; self.soft = soft
    }
}

public struct Scheduler: Codable, Equatable, Sendable {
    public var policy: String = ""
    public var nice: Int32?
    public var priority: Int32?
    public var flags: [String]?
    public var runtime: UInt64?
    public var deadline: UInt64?
    public var period: UInt64?
    public init() {}
}

public struct LinuxIOPriority: Codable, Equatable, Sendable {
    public var `class`: String = ""
    public var priority: Int = 0
    public init() {}
}

public struct CPUAffinity: Codable, Equatable, Sendable {
    public var initial: String?
    public var final: String?
    public init() {}
}

public struct Root: Codable, Equatable, Sendable {
    public var path: String = ""
    public var readonly: Bool?
    public init(path: String = "", readonly: Bool? = nil) { self.path = path; self.readonly = readonly }
}

public struct Mount: Codable, Equatable, Sendable {
    public var destination: String = ""
    public var type: String?
    public var source: String?
    public var options: [String]?
    public var uidMappings: [LinuxIDMapping]?
    public var gidMappings: [LinuxIDMapping]?
    public init(destination: String = "", type: String? = nil, source: String? = nil, options: [String]? = nil) {
        self.destination = destination; self.type = type; self.source = source; self.options = options
    }
}

public struct Hook: Codable, Equatable, Sendable {
    public var path: String = ""
    public var args: [String]?
    public var env: [String]?
    public var timeout: Int?
    public init(path: String = "", args: [String]? = nil) { self.path = path; self.args = args }
}

public struct Hooks: Codable, Equatable, Sendable {
    public var prestart: [Hook]?
    public var createRuntime: [Hook]?
    public var createContainer: [Hook]?
    public var startContainer: [Hook]?
    public var poststart: [Hook]?
    public var poststop: [Hook]?
    public init() {}
}

public struct Linux: Codable, Equatable, Sendable {
    public var uidMappings: [LinuxIDMapping]?
    public var gidMappings: [LinuxIDMapping]?
    public var sysctl: [String: String]?
    public var resources: LinuxResources?
    public var cgroupsPath: String?
    public var namespaces: [LinuxNamespace]?
    public var devices: [LinuxDevice]?
    public var netDevices: [String: LinuxNetDevice]?
    public var seccomp: LinuxSeccomp?
    public var rootfsPropagation: String?
    public var maskedPaths: [String]?
    public var readonlyPaths: [String]?
    public var mountLabel: String?
    public var intelRdt: LinuxIntelRdt?
    public var memoryPolicy: LinuxMemoryPolicy?
    public var personality: LinuxPersonality?
    public var timeOffsets: [String: LinuxTimeOffset]?
    public init() {}
}

public struct LinuxNamespace: Codable, Equatable, Sendable {
    public var type: String = ""
    public var path: String?
    public init(type: String = "", path: String? = nil) { self.type = type; self.path = path }
}

public struct LinuxIDMapping: Codable, Equatable, Sendable {
    public var containerID: UInt32 = 0
    public var hostID: UInt32 = 0
    public var size: UInt32 = 0
    public init(containerID: UInt32 = 0, hostID: UInt32 = 0, size: UInt32 = 0) {
        self.containerID = containerID; self.hostID = hostID; self.size = size
    }
}

public struct LinuxTimeOffset: Codable, Equatable, Sendable {
    public var secs: Int64?
    public var nanosecs: UInt32?
    public init() {}
}

public struct LinuxDevice: Codable, Equatable, Sendable {
    public var path: String = ""
    public var type: String = ""
    public var major: Int64?
    public var minor: Int64?
    public var fileMode: UInt32?
    public var uid: UInt32?
    public var gid: UInt32?
    public init() {}
}

public struct LinuxNetDevice: Codable, Equatable, Sendable {
    public var name: String?
    public init(name: String? = nil) { self.name = name }
}

public struct LinuxPersonality: Codable, Equatable, Sendable {
    public var domain: String = ""
    public var flags: [String]?
    public init() {}
}

public struct LinuxIntelRdt: Codable, Equatable, Sendable {
    public var closID: String?
    public var schemata: [String]?
    public var l3CacheSchema: String?
    public var memBwSchema: String?
    public var enableMonitoring: Bool?
    public init() {}
}

public struct LinuxMemoryPolicy: Codable, Equatable, Sendable {
    public var mode: String = ""
    public var nodes: String?
    public var flags: [String]?
    public init() {}
}
