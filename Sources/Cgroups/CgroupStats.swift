// Resource usage of a container's cgroup, shaped like runc's `events --stats` data (runc
// types/events.go) so the CLI can print it with the same names. Units are the kernel's:
// bytes, nanoseconds of CPU time. "No limit" reads as UInt64.max, except pids.limit which
// is 0 for "max", as in runc.

public struct CgroupStats: Equatable, Sendable {
    public var cpu = CPU()
    public var cpuset = CPUSet()
    public var memory = Memory()
    public var pids = Pids()
    public var blkio = Blkio()
    /// Page size ("2MB", "1GB") → usage.
    public var hugetlb: [String: Hugetlb] = [:]

    public init() {}

    public struct CPU: Equatable, Sendable {
        public var usage = Usage()
        public var throttling = Throttling()
        public init() {}

        public struct Usage: Equatable, Sendable {
            public var total: UInt64 = 0
            public var percpu: [UInt64] = []
            public var percpuKernel: [UInt64] = []
            public var percpuUser: [UInt64] = []
            public var kernel: UInt64 = 0
            public var user: UInt64 = 0
            public init() {}
        }

        public struct Throttling: Equatable, Sendable {
            public var periods: UInt64 = 0
            public var throttledPeriods: UInt64 = 0
            public var throttledTime: UInt64 = 0
            public init() {}
        }
    }

    public struct CPUSet: Equatable, Sendable {
        public var cpus: [UInt16] = []
        public var cpuExclusive: UInt64 = 0
        public var mems: [UInt16] = []
        public var memHardwall: UInt64 = 0
        public var memExclusive: UInt64 = 0
        public var memoryMigrate: UInt64 = 0
        public var memorySpreadPage: UInt64 = 0
        public var memorySpreadSlab: UInt64 = 0
        public var memoryPressure: UInt64 = 0
        public var schedLoadBalance: UInt64 = 0
        public var schedRelaxDomainLevel: Int64 = 0
        public init() {}
    }

    public struct MemoryEntry: Equatable, Sendable {
        public var limit: UInt64 = 0
        public var usage: UInt64 = 0
        /// Peak usage.
        public var max: UInt64 = 0
        public var failcnt: UInt64 = 0
        public init(limit: UInt64 = 0, usage: UInt64 = 0, max: UInt64 = 0, failcnt: UInt64 = 0) {
            self.limit = limit
            self.usage = usage
            self.max = max
            self.failcnt = failcnt
        }
    }

    public struct Memory: Equatable, Sendable {
        /// Page cache ("cache" on v1, "file" on v2).
        public var cache: UInt64 = 0
        public var usage = MemoryEntry()
        /// memory+swap, on v2 too (usage and limit summed), as runc reports it.
        public var swap = MemoryEntry()
        public var kernel = MemoryEntry()
        public var kernelTCP = MemoryEntry()
        /// memory.stat verbatim.
        public var raw: [String: UInt64] = [:]
        public init() {}
    }

    public struct Pids: Equatable, Sendable {
        public var current: UInt64 = 0
        /// 0 means no limit.
        public var limit: UInt64 = 0
        public init() {}
    }

    public struct BlkioEntry: Equatable, Sendable {
        public var major: UInt64
        public var minor: UInt64
        public var op: String
        public var value: UInt64
        public init(major: UInt64, minor: UInt64, op: String, value: UInt64) {
            self.major = major
            self.minor = minor
            self.op = op
            self.value = value
        }
    }

    public struct Blkio: Equatable, Sendable {
        public var ioServiceBytesRecursive: [BlkioEntry] = []
        public var ioServicedRecursive: [BlkioEntry] = []
        public var ioQueuedRecursive: [BlkioEntry] = []
        public var ioServiceTimeRecursive: [BlkioEntry] = []
        public var ioWaitTimeRecursive: [BlkioEntry] = []
        public var ioMergedRecursive: [BlkioEntry] = []
        public var ioTimeRecursive: [BlkioEntry] = []
        public var sectorsRecursive: [BlkioEntry] = []
        public init() {}
    }

    public struct Hugetlb: Equatable, Sendable {
        public var usage: UInt64 = 0
        public var max: UInt64 = 0
        public var failcnt: UInt64 = 0
        public init(usage: UInt64 = 0, max: UInt64 = 0, failcnt: UInt64 = 0) {
            self.usage = usage
            self.max = max
            self.failcnt = failcnt
        }
    }
}
