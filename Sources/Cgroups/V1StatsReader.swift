// cgroup v1 files → CgroupStats, following what runc reads for `events --stats`.
import Linux

struct V1StatsReader {
    let paths: [String: String]
    var hugePageSizes: [String] = StatsParsing.hugePageSizes()

    func read() throws -> CgroupStats {
        var stats = CgroupStats()
        try wrapping("read cgroup stats") {
            if let dir = paths["cpu"] { try readCPU(dir, into: &stats) }
            if let dir = paths["cpuacct"] { try readCPUAcct(dir, into: &stats) }
            if let dir = paths["cpuset"] { try readCpuset(dir, into: &stats) }
            if let dir = paths["memory"] { try readMemory(dir, into: &stats) }
            if let dir = paths["pids"] { try readPids(dir, into: &stats) }
            if let dir = paths["blkio"] { try readBlkio(dir, into: &stats) }
            if let dir = paths["hugetlb"] { try readHugetlb(dir, into: &stats) }
        }
        return stats
    }

    func readCPU(_ dir: String, into stats: inout CgroupStats) throws {
        guard let text = try StatsParsing.optionalRead(dir, "cpu.stat") else { return }
        let values = CgroupTree.keyValues(text)
        stats.cpu.throttling.periods = values["nr_periods"] ?? 0
        stats.cpu.throttling.throttledPeriods = values["nr_throttled"] ?? 0
        stats.cpu.throttling.throttledTime = values["throttled_time"] ?? 0
    }

    func readCPUAcct(_ dir: String, into stats: inout CgroupStats) throws {
        // cpuacct.stat counts USER_HZ ticks, fixed at 100 on Linux.
        let ticks = CgroupTree.keyValues(try CgroupFiles.read(dir, "cpuacct.stat"))
        let nanosecondsPerTick: UInt64 = 1_000_000_000 / 100
        stats.cpu.usage.user = (ticks["user"] ?? 0) * nanosecondsPerTick
        stats.cpu.usage.kernel = (ticks["system"] ?? 0) * nanosecondsPerTick
        stats.cpu.usage.total = try CgroupTree.readUInt(dir, "cpuacct.usage")
        stats.cpu.usage.percpu = try CgroupFiles.read(dir, "cpuacct.usage_percpu").split(separator: " ")
            .compactMap { UInt64($0.trimmed) }
        if let all = try StatsParsing.optionalRead(dir, "cpuacct.usage_all") {
            // "cpu user system" header, then one line per CPU.
            for line in all.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count >= 3, let user = UInt64(fields[1]), let system = UInt64(fields[2]) else { continue }
                stats.cpu.usage.percpuUser.append(user)
                stats.cpu.usage.percpuKernel.append(system)
            }
        }
    }

    func readCpuset(_ dir: String, into stats: inout CgroupStats) throws {
        if let cpus = try StatsParsing.optionalRead(dir, "cpuset.cpus") { stats.cpuset.cpus = StatsParsing.cpuList(cpus) }
        if let mems = try StatsParsing.optionalRead(dir, "cpuset.mems") { stats.cpuset.mems = StatsParsing.cpuList(mems) }
        func flag(_ name: String) throws -> UInt64 { try StatsParsing.optionalUInt(dir, "cpuset." + name) ?? 0 }
        stats.cpuset.cpuExclusive = try flag("cpu_exclusive")
        stats.cpuset.memHardwall = try flag("mem_hardwall")
        stats.cpuset.memExclusive = try flag("mem_exclusive")
        stats.cpuset.memoryMigrate = try flag("memory_migrate")
        stats.cpuset.memorySpreadPage = try flag("memory_spread_page")
        stats.cpuset.memorySpreadSlab = try flag("memory_spread_slab")
        stats.cpuset.memoryPressure = try flag("memory_pressure")
        stats.cpuset.schedLoadBalance = try flag("sched_load_balance")
        if let level = try StatsParsing.optionalRead(dir, "cpuset.sched_relax_domain_level") {
            stats.cpuset.schedRelaxDomainLevel = Int64(level.trimmed) ?? 0
        }
    }

    func readMemory(_ dir: String, into stats: inout CgroupStats) throws {
        guard let statText = try StatsParsing.optionalRead(dir, "memory.stat") else { return }
        stats.memory.raw = CgroupTree.keyValues(statText)
        stats.memory.cache = stats.memory.raw["cache"] ?? 0
        stats.memory.usage = try memoryEntry(dir, "memory") ?? .init()
        stats.memory.swap = try memoryEntry(dir, "memory.memsw") ?? .init()
        stats.memory.kernel = try memoryEntry(dir, "memory.kmem") ?? .init()
        stats.memory.kernelTCP = try memoryEntry(dir, "memory.kmem.tcp") ?? .init()
    }

    /// <prefix>.usage_in_bytes and friends; nil when this kind of accounting is absent
    /// (swap accounting off, kmem removed from newer kernels).
    func memoryEntry(_ dir: String, _ prefix: String) throws -> CgroupStats.MemoryEntry? {
        guard let usage = try StatsParsing.optionalUInt(dir, prefix + ".usage_in_bytes") else { return nil }
        return CgroupStats.MemoryEntry(
            limit: try StatsParsing.optionalUInt(dir, prefix + ".limit_in_bytes") ?? 0,
            usage: usage,
            max: try StatsParsing.optionalUInt(dir, prefix + ".max_usage_in_bytes") ?? 0,
            failcnt: try StatsParsing.optionalUInt(dir, prefix + ".failcnt") ?? 0)
    }

    func readPids(_ dir: String, into stats: inout CgroupStats) throws {
        guard let current = try StatsParsing.optionalUInt(dir, "pids.current") else { return }
        stats.pids.current = current
        let limit = try StatsParsing.optionalUInt(dir, "pids.max") ?? UInt64.max
        stats.pids.limit = limit == UInt64.max ? 0 : limit
    }

    /// The first family of files this kernel's I/O scheduler provides wins: BFQ with debug
    /// stats, BFQ, CFQ, then the throttle files every kernel has.
    func readBlkio(_ dir: String, into stats: inout CgroupStats) throws {
        typealias Slot = WritableKeyPath<CgroupStats.Blkio, [CgroupStats.BlkioEntry]>
        let bfqDebug: [(String, Slot)] = [
            ("blkio.bfq.sectors_recursive", \.sectorsRecursive),
            ("blkio.bfq.io_service_time_recursive", \.ioServiceTimeRecursive),
            ("blkio.bfq.io_wait_time_recursive", \.ioWaitTimeRecursive),
            ("blkio.bfq.io_merged_recursive", \.ioMergedRecursive),
            ("blkio.bfq.io_queued_recursive", \.ioQueuedRecursive),
            ("blkio.bfq.time_recursive", \.ioTimeRecursive),
            ("blkio.bfq.io_serviced_recursive", \.ioServicedRecursive),
            ("blkio.bfq.io_service_bytes_recursive", \.ioServiceBytesRecursive),
        ]
        let bfq: [(String, Slot)] = [
            ("blkio.bfq.io_serviced_recursive", \.ioServicedRecursive),
            ("blkio.bfq.io_service_bytes_recursive", \.ioServiceBytesRecursive),
        ]
        let cfq: [(String, Slot)] = [
            ("blkio.sectors_recursive", \.sectorsRecursive),
            ("blkio.io_service_time_recursive", \.ioServiceTimeRecursive),
            ("blkio.io_wait_time_recursive", \.ioWaitTimeRecursive),
            ("blkio.io_merged_recursive", \.ioMergedRecursive),
            ("blkio.io_queued_recursive", \.ioQueuedRecursive),
            ("blkio.time_recursive", \.ioTimeRecursive),
            ("blkio.io_serviced_recursive", \.ioServicedRecursive),
            ("blkio.io_service_bytes_recursive", \.ioServiceBytesRecursive),
        ]
        let throttleRecursive: [(String, Slot)] = [
            ("blkio.throttle.io_serviced_recursive", \.ioServicedRecursive),
            ("blkio.throttle.io_service_bytes_recursive", \.ioServiceBytesRecursive),
        ]
        let throttle: [(String, Slot)] = [
            ("blkio.throttle.io_serviced", \.ioServicedRecursive),
            ("blkio.throttle.io_service_bytes", \.ioServiceBytesRecursive),
        ]
        for family in [bfqDebug, bfq, cfq, throttleRecursive, throttle] {
            // A family counts only if its first file exists and has entries.
            guard let first = try StatsParsing.optionalRead(dir, family[0].0),
                  !StatsParsing.blkioEntries(first).isEmpty else { continue }
            for (file, slot) in family {
                guard let text = try StatsParsing.optionalRead(dir, file) else { break }
                stats.blkio[keyPath: slot] = StatsParsing.blkioEntries(text)
            }
            return
        }
    }

    func readHugetlb(_ dir: String, into stats: inout CgroupStats) throws {
        for size in hugePageSizes {
            // Prefer reservation accounting where the kernel has it, as runc does.
            let rsvd = "hugetlb.\(size).rsvd"
            let prefix = CgroupFiles.exists(CgroupFiles.join(dir, rsvd + ".usage_in_bytes")) ? rsvd : "hugetlb.\(size)"
            guard let usage = try StatsParsing.optionalUInt(dir, prefix + ".usage_in_bytes") else { continue }
            stats.hugetlb[size] = CgroupStats.Hugetlb(
                usage: usage,
                max: try StatsParsing.optionalUInt(dir, prefix + ".max_usage_in_bytes") ?? 0,
                failcnt: try StatsParsing.optionalUInt(dir, prefix + ".failcnt") ?? 0)
        }
    }
}
