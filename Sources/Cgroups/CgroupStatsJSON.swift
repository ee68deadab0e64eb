// CgroupStats encodes with runc's `events --stats` member names and omission rules (Go's
// omitempty / omitzero in runc types/events.go), so `{"type":"stats","data":...}` can print
// it directly. intel_rdt and network_interfaces are not cgroup data; the caller adds them.

private struct StatsKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

private extension KeyedEncodingContainer where K == StatsKey {
    mutating func put<T: Encodable>(_ value: T, _ name: String) throws {
        try encode(value, forKey: StatsKey(name))
    }
    /// omitempty for numbers and strings.
    mutating func putUnlessZero(_ value: UInt64, _ name: String) throws {
        if value != 0 { try encode(value, forKey: StatsKey(name)) }
    }
    /// omitempty for slices and maps.
    mutating func putUnlessEmpty<C: Collection & Encodable>(_ value: C, _ name: String) throws {
        if !value.isEmpty { try encode(value, forKey: StatsKey(name)) }
    }
}

extension CgroupStats: Encodable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: StatsKey.self)
        try c.put(cpu, "cpu")
        try c.put(cpuset, "cpuset")
        try c.put(memory, "memory")
        try c.put(pids, "pids")
        try c.put(blkio, "blkio")
        try c.put(hugetlb, "hugetlb")
    }
}

extension CgroupStats.CPU: Encodable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: StatsKey.self)
        if usage != .init() { try c.put(usage, "usage") }
        if throttling != .init() { try c.put(throttling, "throttling") }
    }
}

extension CgroupStats.CPU.Usage: Encodable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: StatsKey.self)
        try c.putUnlessZero(total, "total")
        try c.putUnlessEmpty(percpu, "percpu")
        try c.putUnlessEmpty(percpuKernel, "percpu_kernel")
        try c.putUnlessEmpty(percpuUser, "percpu_user")
        try c.put(kernel, "kernel")
        try c.put(user, "user")
    }
}

extension CgroupStats.CPU.Throttling: Encodable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: StatsKey.self)
        try c.putUnlessZero(periods, "periods")
        try c.putUnlessZero(throttledPeriods, "throttledPeriods")
        try c.putUnlessZero(throttledTime, "throttledTime")
    }
}

extension CgroupStats.CPUSet: Encodable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: StatsKey.self)
        try c.putUnlessEmpty(cpus, "cpus")
        try c.put(cpuExclusive, "cpu_exclusive")
        try c.putUnlessEmpty(mems, "mems")
        try c.put(memHardwall, "mem_hardwall")
        try c.put(memExclusive, "mem_exclusive")
        try c.put(memoryMigrate, "memory_migrate")
        try c.put(memorySpreadPage, "memory_spread_page")
        try c.put(memorySpreadSlab, "memory_spread_slab")
        try c.put(memoryPressure, "memory_pressure")
        try c.put(schedLoadBalance, "sched_load_balance")
        try c.put(schedRelaxDomainLevel, "sched_relax_domain_level")
    }
}

extension CgroupStats.MemoryEntry: Encodable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: StatsKey.self)
        try c.put(limit, "limit")
        try c.putUnlessZero(usage, "usage")
        try c.putUnlessZero(max, "max")
        try c.put(failcnt, "failcnt")
    }
}

extension CgroupStats.Memory: Encodable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: StatsKey.self)
        try c.putUnlessZero(cache, "cache")
        for (entry, name) in [(usage, "usage"), (swap, "swap"), (kernel, "kernel"), (kernelTCP, "kernelTCP")]
        where entry != .init() {
            try c.put(entry, name)
        }
        try c.putUnlessEmpty(raw, "raw")
    }
}

extension CgroupStats.Pids: Encodable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: StatsKey.self)
        try c.putUnlessZero(current, "current")
        try c.putUnlessZero(limit, "limit")
    }
}

extension CgroupStats.BlkioEntry: Encodable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: StatsKey.self)
        try c.putUnlessZero(major, "major")
        try c.putUnlessZero(minor, "minor")
        if !op.isEmpty { try c.put(op, "op") }
        try c.putUnlessZero(value, "value")
    }
}

extension CgroupStats.Blkio: Encodable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: StatsKey.self)
        try c.putUnlessEmpty(ioServiceBytesRecursive, "ioServiceBytesRecursive")
        try c.putUnlessEmpty(ioServicedRecursive, "ioServicedRecursive")
        try c.putUnlessEmpty(ioQueuedRecursive, "ioQueueRecursive")  // sic, runc's name
        try c.putUnlessEmpty(ioServiceTimeRecursive, "ioServiceTimeRecursive")
        try c.putUnlessEmpty(ioWaitTimeRecursive, "ioWaitTimeRecursive")
        try c.putUnlessEmpty(ioMergedRecursive, "ioMergedRecursive")
        try c.putUnlessEmpty(ioTimeRecursive, "ioTimeRecursive")
        try c.putUnlessEmpty(sectorsRecursive, "sectorsRecursive")
    }
}

extension CgroupStats.Hugetlb: Encodable {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: StatsKey.self)
        try c.putUnlessZero(usage, "usage")
        try c.putUnlessZero(max, "max")
        try c.put(failcnt, "failcnt")
    }
}
