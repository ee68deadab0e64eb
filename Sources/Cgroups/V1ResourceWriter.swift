// linux.resources → cgroup v1 files, controller by controller in runc's order (cpuset,
// devices, memory, cpu, pids, blkio, hugetlb, net_cls, net_prio, rdma). A field that is
// unset (or 0 where runc treats 0 as unset) leaves the kernel's value alone.
#if canImport(Glibc)
import Glibc
#endif
import Linux
import OCISpec

struct V1ResourceWriter {
    let paths: [String: String]

    func apply(_ resources: LinuxResources) throws {
        if let unified = resources.unified, !unified.isEmpty {
            throw CgroupError(field: "linux.resources.unified", "invalid configuration: cannot use unified on cgroup v1")
        }
        try applyCpuset(resources.cpu)
        try applyDevices(resources.devices)
        try applyMemory(resources.memory)
        try applyCPU(resources.cpu)
        try applyPids(resources.pids)
        try applyBlockIO(resources.blockIO)
        try applyHugepages(resources.hugepageLimits)
        try applyNetwork(resources.network)
        try applyRdma(resources.rdma)
    }

    /// The controller's directory, or an error naming the field that needs it.
    func directory(_ controller: String, for field: String) throws -> String {
        guard let dir = paths[controller] else {
            throw CgroupError(field: field, "the \(controller) cgroup controller is not mounted on this host")
        }
        return dir
    }

    func write(_ dir: String, _ file: String, _ value: String, field: String) throws {
        try withField(field) { try CgroupFiles.write(dir, file, value) }
    }

    // MARK: cpuset

    func applyCpuset(_ cpu: LinuxCPU?) throws {
        if let cpus = cpu?.cpus, !cpus.isEmpty {
            let field = "linux.resources.cpu.cpus"
            try write(try directory("cpuset", for: field), "cpuset.cpus", cpus, field: field)
        }
        if let mems = cpu?.mems, !mems.isEmpty {
            let field = "linux.resources.cpu.mems"
            try write(try directory("cpuset", for: field), "cpuset.mems", mems, field: field)
        }
    }

    // MARK: devices

    /// Takes the device cgroup from its current state (devices.list) to "deny all, then the
    /// rules" with the fewest writes, then checks that devices.list agrees.
    func applyDevices(_ specRules: [LinuxDeviceCgroup]?) throws {
        guard let specRules else { return }
        let field = "linux.resources.devices"
        let rules = try DeviceRule.parse(specRules)
        let dir = try directory("devices", for: field)
        let target = try DeviceEmulator(rules: rules)
        try withField(field) {
            let current = try DeviceEmulator(devicesList: try CgroupFiles.read(dir, "devices.list"))
            try CgroupFiles.writeEach(dir, current.transition(to: target).map {
                (file: $0.allow ? "devices.allow" : "devices.deny", value: $0.v1Text)
            })
            let after = try DeviceEmulator(devicesList: try CgroupFiles.read(dir, "devices.list"))
            // devices.list cannot show a black-list's exceptions: compare the mode only then.
            if target.defaultAllow ? !after.defaultAllow : after != target {
                throw CgroupError("the device cgroup \(dir) does not match the requested rules after writing them")
            }
        }
    }

    // MARK: memory

    func applyMemory(_ memory: LinuxMemory?) throws {
        guard let memory else { return }
        let limit = memory.limit ?? 0
        var swap = memory.swap ?? 0
        let reservation = memory.reservation ?? 0
        let swappiness = memory.swappiness.flatMap { $0 == UInt64.max ? nil : $0 }
        let needed = limit != 0 || swap != 0 || reservation != 0 || memory.disableOOMKiller == true || swappiness != nil
        guard needed else { return }
        let limitField = "linux.resources.memory.limit"
        let swapField = "linux.resources.memory.swap"
        let dir = try directory("memory", for: limit != 0 ? limitField : "linux.resources.memory")
        let memswFile = "memory.memsw.limit_in_bytes"

        // Unlimited memory with no swap figure unlimits memory+swap too (when swap
        // accounting exists), or the old memsw limit would cap the new memory limit.
        if limit == -1 && swap == 0 && CgroupFiles.exists(CgroupFiles.join(dir, memswFile)) {
            swap = -1
        }
        if memory.checkBeforeUpdate == true {
            try checkUsage(dir, limit: limit, swap: swap)
        }

        var currentLimit: UInt64?
        if limit != 0 && swap != 0 {
            currentLimit = try withField(limitField) { try CgroupTree.readUInt(dir, "memory.limit_in_bytes") }
        }
        for step in Self.memoryLimitOrder(limit: limit, swap: swap, currentLimit: currentLimit) {
            switch step {
            case .swap:
                try write(dir, memswFile, String(swap), field: swapField)
            case .limit:
                do {
                    try write(dir, "memory.limit_in_bytes", String(limit), field: limitField)
                } catch let error as CgroupError where error.errno == EBUSY {
                    // The kernel could not reclaim below the new limit: say how far off it was.
                    let usage = (try? CgroupTree.readUInt(dir, "memory.usage_in_bytes")).map(String.init) ?? "?"
                    let peak = (try? CgroupTree.readUInt(dir, "memory.max_usage_in_bytes")).map(String.init) ?? "?"
                    throw CgroupError(field: limitField,
                                      "unable to set memory limit to \(limit) (current usage: \(usage), peak usage: \(peak)): \(error.message)",
                                      errno: EBUSY)
                }
            }
        }

        if reservation != 0 {
            try write(dir, "memory.soft_limit_in_bytes", String(reservation), field: "linux.resources.memory.reservation")
        }
        if memory.disableOOMKiller == true {
            try write(dir, "memory.oom_control", "1", field: "linux.resources.memory.disableOOMKiller")
        }
        if let swappiness {
            let field = "linux.resources.memory.swappiness"
            guard swappiness <= 100 else {
                throw CgroupError(field: field, "invalid memory swappiness value: \(swappiness) (valid range is 0-100)")
            }
            try write(dir, "memory.swappiness", String(swappiness), field: field)
        }
    }

    enum MemoryLimitStep: Equatable { case limit, swap }

    /// The kernel keeps memsw.limit >= limit at every step, so when memsw grows (or becomes
    /// unlimited) it is written before the memory limit, otherwise after. Unset (0) values
    /// are not written. `currentLimit` is memory.limit_in_bytes now (needed when both are set).
    static func memoryLimitOrder(limit: Int64, swap: Int64, currentLimit: UInt64?) -> [MemoryLimitStep] {
        var steps: [MemoryLimitStep] = []
        if limit != 0 && swap != 0, let currentLimit, swap == -1 || currentLimit < UInt64(clamping: swap) {
            return [.swap, .limit]
        }
        if limit != 0 { steps.append(.limit) }
        if swap != 0 { steps.append(.swap) }
        return steps
    }

    /// checkBeforeUpdate: refuse a limit the container already exceeds rather than have the
    /// kernel reclaim (or OOM-kill) to reach it.
    func checkUsage(_ dir: String, limit: Int64, swap: Int64) throws {
        guard let usage = try? CgroupTree.readUInt(dir, "memory.usage_in_bytes") else { return }
        if swap > 0 {
            let swapUsage = (try? CgroupTree.readUInt(dir, "memory.memsw.usage_in_bytes")) ?? usage
            if UInt64(swap) <= swapUsage {
                throw CgroupError(field: "linux.resources.memory.swap", "rejecting memory+swap limit \(swap) <= usage \(swapUsage)")
            }
        }
        if limit > 0 && UInt64(limit) <= usage {
            throw CgroupError(field: "linux.resources.memory.limit", "rejecting memory limit \(limit) <= usage \(usage)")
        }
    }

    // MARK: cpu

    func applyCPU(_ cpu: LinuxCPU?) throws {
        guard let cpu else { return }
        let shares = cpu.shares ?? 0
        let quota = cpu.quota ?? 0
        let period = cpu.period ?? 0
        let rtRuntime = cpu.realtimeRuntime ?? 0
        let rtPeriod = cpu.realtimePeriod ?? 0
        let needed = shares != 0 || quota != 0 || period != 0 || cpu.burst != nil || cpu.idle != nil
            || rtRuntime != 0 || rtPeriod != 0
        guard needed else { return }
        let dir = try directory("cpu", for: "linux.resources.cpu")

        if shares != 0 {
            let field = "linux.resources.cpu.shares"
            try write(dir, "cpu.shares", String(shares), field: field)
            // The kernel clamps out-of-range shares silently; read back to tell the user.
            let actual = try withField(field) { try CgroupTree.readUInt(dir, "cpu.shares") }
            if shares > actual {
                throw CgroupError(field: field, "the maximum allowed cpu-shares is \(actual)")
            } else if shares < actual {
                throw CgroupError(field: field, "the minimum allowed cpu-shares is \(actual)")
            }
        }

        // A smaller period or a larger burst can be refused (EINVAL) against the old quota;
        // when a quota is also being set, retry them after it.
        var periodPending = false
        if period != 0 {
            do {
                try write(dir, "cpu.cfs_period_us", String(period), field: "linux.resources.cpu.period")
            } catch let error as CgroupError where error.errno == EINVAL && quota != 0 {
                periodPending = true
            }
        }
        var burstPending = false
        if let burst = cpu.burst {
            do {
                try write(dir, "cpu.cfs_burst_us", String(burst), field: "linux.resources.cpu.burst")
            } catch let error as CgroupError where error.errno == ENOENT {
                // Kernels before 5.14 have no burst knob; runc ignores it there too.
            } catch let error as CgroupError where error.errno == EINVAL && quota != 0 {
                burstPending = true
            }
        }
        if quota != 0 {
            try write(dir, "cpu.cfs_quota_us", String(quota), field: "linux.resources.cpu.quota")
            if periodPending {
                try write(dir, "cpu.cfs_period_us", String(period), field: "linux.resources.cpu.period")
            }
            if burstPending, let burst = cpu.burst {
                try write(dir, "cpu.cfs_burst_us", String(burst), field: "linux.resources.cpu.burst")
            }
        }
        if let idle = cpu.idle {
            try write(dir, "cpu.idle", String(idle), field: "linux.resources.cpu.idle")
        }
        try applyRealtime(dir, runtime: rtRuntime, period: rtPeriod)
    }

    /// Like the CFS pair, the RT period may be refused until the runtime fits it.
    func applyRealtime(_ dir: String, runtime: Int64, period: UInt64) throws {
        let periodField = "linux.resources.cpu.realtimePeriod"
        var periodPending = false
        if period != 0 {
            do {
                try write(dir, "cpu.rt_period_us", String(period), field: periodField)
            } catch let error as CgroupError where error.errno == EINVAL && runtime != 0 {
                periodPending = true
            }
        }
        if runtime != 0 {
            try write(dir, "cpu.rt_runtime_us", String(runtime), field: "linux.resources.cpu.realtimeRuntime")
            if periodPending {
                try write(dir, "cpu.rt_period_us", String(period), field: periodField)
            }
        }
    }

    // MARK: pids

    func applyPids(_ pids: LinuxPids?) throws {
        guard let limit = pids?.limit else { return }
        let field = "linux.resources.pids.limit"
        try write(try directory("pids", for: field), "pids.max", ResourceConversions.pidsMax(limit: limit), field: field)
    }

    // MARK: blkio

    func applyBlockIO(_ blockIO: LinuxBlockIO?) throws {
        guard let io = blockIO else { return }
        let base = "linux.resources.blockIO"
        let weightDevices = io.weightDevice ?? []
        let throttles: [(String, String, [LinuxThrottleDevice])] = [
            ("throttleReadBpsDevice", "blkio.throttle.read_bps_device", io.throttleReadBpsDevice ?? []),
            ("throttleWriteBpsDevice", "blkio.throttle.write_bps_device", io.throttleWriteBpsDevice ?? []),
            ("throttleReadIOPSDevice", "blkio.throttle.read_iops_device", io.throttleReadIOPSDevice ?? []),
            ("throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", io.throttleWriteIOPSDevice ?? []),
        ]
        let needed = (io.weight ?? 0) != 0 || (io.leafWeight ?? 0) != 0 || !weightDevices.isEmpty
            || throttles.contains { !$0.2.isEmpty }
        guard needed else { return }
        let dir = try directory("blkio", for: base)
        // Without CFQ (kernel 5.0+) the proportional weights live in the BFQ files.
        let cfq = CgroupFiles.exists(CgroupFiles.join(dir, "blkio.weight"))
        let weightFile = cfq ? "blkio.weight" : "blkio.bfq.weight"
        let weightDeviceFile = cfq ? "blkio.weight_device" : "blkio.bfq.weight_device"

        if let weight = io.weight, weight != 0 {
            try write(dir, weightFile, String(weight), field: base + ".weight")
        }
        if let leafWeight = io.leafWeight, leafWeight != 0 {
            try write(dir, "blkio.leaf_weight", String(leafWeight), field: base + ".leafWeight")
        }
        for (index, device) in weightDevices.enumerated() {
            let field = "\(base).weightDevice[\(index)]"
            if let weight = device.weight, weight != 0 {
                try write(dir, weightDeviceFile, "\(device.major):\(device.minor) \(weight)", field: field + ".weight")
            }
            if let leafWeight = device.leafWeight, leafWeight != 0 {
                try write(dir, "blkio.leaf_weight_device", "\(device.major):\(device.minor) \(leafWeight)",
                          field: field + ".leafWeight")
            }
        }
        for (name, file, devices) in throttles {
            for (index, device) in devices.enumerated() {
                try write(dir, file, "\(device.major):\(device.minor) \(device.rate)", field: "\(base).\(name)[\(index)]")
            }
        }
    }

    // MARK: hugetlb

    func applyHugepages(_ limits: [LinuxHugepageLimit]?) throws {
        guard let limits, !limits.isEmpty else { return }
        let dir = try directory("hugetlb", for: "linux.resources.hugepageLimits")
        var reservations = true
        for (index, limit) in limits.enumerated() {
            let field = "linux.resources.hugepageLimits[\(index)]"
            let prefix = "hugetlb.\(limit.pageSize)"
            try write(dir, prefix + ".limit_in_bytes", String(limit.limit), field: field)
            guard reservations else { continue }
            // Reservation accounting (5.7+) must match, or reserved-but-unfaulted pages escape.
            do {
                try write(dir, prefix + ".rsvd.limit_in_bytes", String(limit.limit), field: field)
            } catch let error as CgroupError where error.errno == ENOENT {
                reservations = false
            }
        }
    }

    // MARK: net_cls, net_prio

    func applyNetwork(_ network: LinuxNetwork?) throws {
        guard let network else { return }
        if let classID = network.classID, classID != 0 {
            let field = "linux.resources.network.classID"
            try write(try directory("net_cls", for: field), "net_cls.classid", String(classID), field: field)
        }
        for (index, priority) in (network.priorities ?? []).enumerated() {
            let field = "linux.resources.network.priorities[\(index)]"
            try write(try directory("net_prio", for: field), "net_prio.ifpriomap", "\(priority.name) \(priority.priority)",
                      field: field)
        }
    }

    // MARK: rdma

    func applyRdma(_ rdma: [String: LinuxRdma]?) throws {
        guard let rdma, !rdma.isEmpty else { return }
        for device in rdma.keys.sorted() {
            let field = "linux.resources.rdma.\(device)"
            let dir = try directory("rdma", for: field)
            try write(dir, "rdma.max", rdmaLine(device, rdma[device]!), field: field)
        }
    }
}

/// One rdma.max line: "mlx4_0 hca_handle=2 hca_object=2000" (unset limits left out).
func rdmaLine(_ device: String, _ limits: LinuxRdma) -> String {
    var line = device
    if let handles = limits.hcaHandles { line += " hca_handle=\(handles)" }
    if let objects = limits.hcaObjects { line += " hca_object=\(objects)" }
    return line
}
