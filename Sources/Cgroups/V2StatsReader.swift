// cgroup v2 files → CgroupStats, in the v1-shaped form runc reports (memory.swap is
// memory+swap; CPU times in nanoseconds).
import Linux

struct V2StatsReader {
    let directory: String
    var hugePageSizes: [String] = StatsParsing.hugePageSizes()

    func read() throws -> CgroupStats {
        var stats = CgroupStats()
        try wrapping("read cgroup stats") {
            try readCPU(into: &stats)
            try readMemory(into: &stats)
            try readPids(into: &stats)
            try readIO(into: &stats)
            try readHugetlb(into: &stats)
        }
        return stats
    }

    func readCPU(into stats: inout CgroupStats) throws {
        // cpu.stat exists even without the cpu controller (usage only).
        guard let text = try StatsParsing.optionalRead(directory, "cpu.stat") else { return }
        let values = CgroupTree.keyValues(text)
        stats.cpu.usage.total = (values["usage_usec"] ?? 0) * 1000
        stats.cpu.usage.user = (values["user_usec"] ?? 0) * 1000
        stats.cpu.usage.kernel = (values["system_usec"] ?? 0) * 1000
        stats.cpu.throttling.periods = values["nr_periods"] ?? 0
        stats.cpu.throttling.throttledPeriods = values["nr_throttled"] ?? 0
        stats.cpu.throttling.throttledTime = (values["throttled_usec"] ?? 0) * 1000
    }

    func readMemory(into stats: inout CgroupStats) throws {
        guard let statText = try StatsParsing.optionalRead(directory, "memory.stat") else { return }
        stats.memory.raw = CgroupTree.keyValues(statText)
        stats.memory.cache = stats.memory.raw["file"] ?? 0
        let events = CgroupTree.keyValues(try StatsParsing.optionalRead(directory, "memory.events") ?? "")
        let usage = CgroupStats.MemoryEntry(
            limit: try StatsParsing.optionalUInt(directory, "memory.max") ?? UInt64.max,
            usage: try StatsParsing.optionalUInt(directory, "memory.current") ?? 0,
            max: try StatsParsing.optionalUInt(directory, "memory.peak") ?? 0,
            // v2 counts hits of memory.max in memory.events; the closest thing to v1's failcnt.
            failcnt: events["max"] ?? 0)
        stats.memory.usage = usage
        if let swapUsage = try StatsParsing.optionalUInt(directory, "memory.swap.current") {
            let swapLimit = try StatsParsing.optionalUInt(directory, "memory.swap.max") ?? UInt64.max
            // Reported as memory+swap, like v1's memsw and runc; the peak cannot be combined.
            stats.memory.swap = CgroupStats.MemoryEntry(
                limit: ResourceConversions.memorySwap(fromSwapOnly: swapLimit, memory: usage.limit),
                usage: swapUsage &+ usage.usage,
                max: 0,
                failcnt: CgroupTree.keyValues(try StatsParsing.optionalRead(directory, "memory.swap.events") ?? "")["max"] ?? 0)
        }
    }

    func readPids(into stats: inout CgroupStats) throws {
        if let current = try StatsParsing.optionalUInt(directory, "pids.current") {
            stats.pids.current = current
            let limit = try StatsParsing.optionalUInt(directory, "pids.max") ?? UInt64.max
            stats.pids.limit = limit == UInt64.max ? 0 : limit
        } else {
            // No pids controller: count the members instead.
            stats.pids.current = UInt64(try CgroupTree.processes(in: directory).count)
        }
    }

    func readIO(into stats: inout CgroupStats) throws {
        guard let text = try StatsParsing.optionalRead(directory, "io.stat") else { return }
        // "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0"
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let device = fields.first else { continue }
            let numbers = device.split(separator: ":")
            guard numbers.count == 2, let major = UInt64(numbers[0]), let minor = UInt64(numbers[1]) else { continue }
            for item in fields.dropFirst() {
                let pair = item.split(separator: "=")
                guard pair.count == 2, let value = UInt64(pair[1]) else { continue }
                let entry = { (op: String) in CgroupStats.BlkioEntry(major: major, minor: minor, op: op, value: value) }
                switch pair[0] {
                case "rbytes": stats.blkio.ioServiceBytesRecursive.append(entry("Read"))
                case "wbytes": stats.blkio.ioServiceBytesRecursive.append(entry("Write"))
                case "rios": stats.blkio.ioServicedRecursive.append(entry("Read"))
                case "wios": stats.blkio.ioServicedRecursive.append(entry("Write"))
                default: continue
                }
            }
        }
    }

    func readHugetlb(into stats: inout CgroupStats) throws {
        for size in hugePageSizes {
            let prefix = "hugetlb.\(size)"
            let rsvd = CgroupFiles.exists(CgroupFiles.join(directory, prefix + ".rsvd.current"))
            guard let usage = try StatsParsing.optionalUInt(directory, prefix + (rsvd ? ".rsvd.current" : ".current")) else { continue }
            let events = CgroupTree.keyValues(try StatsParsing.optionalRead(directory, prefix + ".events") ?? "")
            stats.hugetlb[size] = CgroupStats.Hugetlb(usage: usage, max: 0, failcnt: events["max"] ?? 0)
        }
    }
}
