// linux.resources → cgroup v2 files, in runc's order (pids, memory, io, cpu, devices,
// cpuset, hugetlb, rdma, unified), converting v1-shaped values the way runc 1.5 does.
// Fields with no v2 equivalent are skipped as runc skips them: memory.kernel, kernelTCP,
// swappiness, disableOOMKiller, cpu.realtime*, blockIO.leafWeight, network.
#if canImport(Glibc)
import Glibc
#endif
import Linux
import OCISpec

struct V2ResourceWriter {
    let directory: String

    func apply(_ resources: LinuxResources) throws {
        try applyPids(resources.pids)
        try applyMemory(resources.memory)
        try applyIO(resources.blockIO)
        try applyCPU(resources.cpu)
        try applyDevices(resources.devices)
        try applyCpuset(resources.cpu)
        try applyHugepages(resources.hugepageLimits)
        try applyRdma(resources.rdma)
        try applyUnified(resources.unified)
    }

    /// Writes one knob. A missing file almost always means the controller is not enabled
    /// for this cgroup: say so instead of just "no such file".
    func write(_ file: String, _ value: String, field: String) throws {
        do {
            try CgroupFiles.write(directory, file, value)
        } catch let error as SyscallError where error.errno == ENOENT {
            let controller = String(file.prefix { $0 != "." })
            if !controllerAvailable(controller) {
                throw CgroupError(field: field,
                                  "the \(controller) cgroup controller is not available in \(directory) (see its cgroup.controllers)",
                                  errno: ENOENT)
            }
            throw CgroupError(field: field, error)
        } catch let error as SyscallError {
            throw CgroupError(field: field, error)
        }
    }

    func controllerAvailable(_ controller: String) -> Bool {
        // Core files and the pseudo-controllers exist without being listed.
        if controller == "cgroup" || controller == "devices" || controller == "freezer" { return true }
        guard let list = try? CgroupFiles.readTrimmed(directory, "cgroup.controllers") else { return false }
        return list.split(separator: " ").contains { $0 == controller }
    }

    // MARK: pids

    func applyPids(_ pids: LinuxPids?) throws {
        guard let limit = pids?.limit else { return }
        try write("pids.max", ResourceConversions.pidsMax(limit: limit), field: "linux.resources.pids.limit")
    }

    // MARK: memory

    func applyMemory(_ memory: LinuxMemory?) throws {
        guard let memory else { return }
        let limit = memory.limit ?? 0
        let memorySwap = memory.swap ?? 0
        let reservation = memory.reservation ?? 0
        guard limit != 0 || memorySwap != 0 || reservation != 0 else { return }

        if memory.checkBeforeUpdate == true, let usage = try? CgroupTree.readUInt(directory, "memory.current") {
            if memorySwap > 0 && UInt64(memorySwap) <= usage {
                throw CgroupError(field: "linux.resources.memory.swap", "rejecting memory+swap limit \(memorySwap) <= usage \(usage)")
            }
            if limit > 0 && UInt64(limit) <= usage {
                throw CgroupError(field: "linux.resources.memory.limit", "rejecting memory limit \(limit) <= usage \(usage)")
            }
        }

        let swap = try ResourceConversions.swapOnly(memorySwap: memorySwap, memory: limit)
        var swapText = ResourceConversions.memoryLimitText(swap)
        if swapText == nil && swap == 0 && memorySwap > 0 {
            // memory == memory+swap: no swap at all.
            swapText = "0"
        }
        if let swapText {
            do {
                try write("memory.swap.max", swapText, field: "linux.resources.memory.swap")
            } catch let error as CgroupError where error.errno == ENOENT && (swapText == "max" || swapText == "0") {
                // No swap accounting: "unlimited" and "none" both hold already.
            }
        }
        if let text = ResourceConversions.memoryLimitText(limit) {
            try write("memory.max", text, field: "linux.resources.memory.limit")
        }
        if let text = ResourceConversions.memoryLimitText(reservation) {
            try write("memory.low", text, field: "linux.resources.memory.reservation")
        }
    }

    // MARK: io

    func applyIO(_ blockIO: LinuxBlockIO?) throws {
        guard let io = blockIO else { return }
        let base = "linux.resources.blockIO"
        let weight = io.weight ?? 0
        let weightDevices = (io.weightDevice ?? []).filter { ($0.weight ?? 0) != 0 }
        if weight != 0 || !weightDevices.isEmpty {
            // With the BFQ scheduler its own file takes blkio-style weights unconverted.
            let bfqPath = CgroupFiles.join(directory, "io.bfq.weight")
            let bfqContent = try? CgroupFiles.read(bfqPath)
            if weight != 0 {
                if bfqContent != nil {
                    try write("io.bfq.weight", String(weight), field: base + ".weight")
                } else {
                    try write("io.weight", String(ResourceConversions.ioWeight(fromBlkioWeight: weight)), field: base + ".weight")
                }
            }
            // Per-device BFQ weights (kernel 5.4+) show as "default N" plus device lines;
            // older kernels print a bare number and take no device weights.
            if let bfqContent, UInt64(bfqContent.trimmed) == nil {
                for (index, device) in (io.weightDevice ?? []).enumerated() {
                    guard let deviceWeight = device.weight, deviceWeight != 0 else { continue }
                    try write("io.bfq.weight", "\(device.major):\(device.minor) \(deviceWeight)",
                              field: "\(base).weightDevice[\(index)].weight")
                }
            }
        }
        let throttles: [(String, String, [LinuxThrottleDevice]?)] = [
            ("throttleReadBpsDevice", "rbps", io.throttleReadBpsDevice),
            ("throttleWriteBpsDevice", "wbps", io.throttleWriteBpsDevice),
            ("throttleReadIOPSDevice", "riops", io.throttleReadIOPSDevice),
            ("throttleWriteIOPSDevice", "wiops", io.throttleWriteIOPSDevice),
        ]
        for (name, key, devices) in throttles {
            for (index, device) in (devices ?? []).enumerated() {
                try write("io.max", "\(device.major):\(device.minor) \(key)=\(device.rate)", field: "\(base).\(name)[\(index)]")
            }
        }
    }

    // MARK: cpu

    func applyCPU(_ cpu: LinuxCPU?) throws {
        guard let cpu else { return }
        if let idle = cpu.idle {
            try write("cpu.idle", String(idle), field: "linux.resources.cpu.idle")
        }
        let weight = ResourceConversions.cpuWeight(fromShares: cpu.shares ?? 0)
        if weight != 0 {
            try write("cpu.weight", String(weight), field: "linux.resources.cpu.shares")
        }
        let cpuMax = ResourceConversions.cpuMax(quota: cpu.quota, period: cpu.period)
        // A larger burst can be refused (EINVAL) against the old quota: retry after cpu.max.
        var burstPending = false
        if let burst = cpu.burst {
            do {
                try write("cpu.max.burst", String(burst), field: "linux.resources.cpu.burst")
            } catch let error as CgroupError where error.errno == EINVAL && (cpu.quota ?? 0) != 0 {
                burstPending = true
            }
        }
        if let cpuMax {
            try write("cpu.max", cpuMax, field: (cpu.quota ?? 0) != 0 ? "linux.resources.cpu.quota" : "linux.resources.cpu.period")
            if burstPending, let burst = cpu.burst {
                try write("cpu.max.burst", String(burst), field: "linux.resources.cpu.burst")
            }
        }
    }

    // MARK: devices

    func applyDevices(_ specRules: [LinuxDeviceCgroup]?) throws {
        guard let specRules else { return }
        let rules = try DeviceRule.parse(specRules)
        try withField("linux.resources.devices") {
            try DeviceProgram.install(rules, cgroup: directory)
        }
    }

    // MARK: cpuset

    func applyCpuset(_ cpu: LinuxCPU?) throws {
        if let cpus = cpu?.cpus, !cpus.isEmpty {
            try write("cpuset.cpus", cpus, field: "linux.resources.cpu.cpus")
        }
        if let mems = cpu?.mems, !mems.isEmpty {
            try write("cpuset.mems", mems, field: "linux.resources.cpu.mems")
        }
    }

    // MARK: hugetlb

    func applyHugepages(_ limits: [LinuxHugepageLimit]?) throws {
        var reservations = true
        for (index, limit) in (limits ?? []).enumerated() {
            let field = "linux.resources.hugepageLimits[\(index)]"
            let prefix = "hugetlb.\(limit.pageSize)"
            try write(prefix + ".max", String(limit.limit), field: field)
            guard reservations else { continue }
            do {
                try write(prefix + ".rsvd.max", String(limit.limit), field: field)
            } catch let error as CgroupError where error.errno == ENOENT {
                reservations = false
            }
        }
    }

    // MARK: rdma

    func applyRdma(_ rdma: [String: LinuxRdma]?) throws {
        guard let rdma else { return }
        for device in rdma.keys.sorted() {
            try write("rdma.max", rdmaLine(device, rdma[device]!), field: "linux.resources.rdma.\(device)")
        }
    }

    // MARK: unified

    /// linux.resources.unified: file name → content, written last so it overrides the
    /// converted values. Each line of a value is its own write, as the kernel parses one
    /// entry per write (io.max, rdma.max).
    func applyUnified(_ unified: [String: String]?) throws {
        guard let unified else { return }
        for key in unified.keys.sorted() {
            let field = "linux.resources.unified.\(key)"
            guard !key.isEmpty, !key.contains("/"), key != ".", key != ".." else {
                throw CgroupError(field: field, "unified resource \"\(key)\" must be a file name (no slashes)")
            }
            guard key.contains(".") else {
                throw CgroupError(field: field, "unified resource \"\(key)\" must be in the form CONTROLLER.PARAMETER")
            }
            let path = CgroupFiles.join(directory, key)
            guard CgroupFiles.exists(path) else {
                let controller = String(key.prefix { $0 != "." })
                if !controllerAvailable(controller) {
                    throw CgroupError(field: field, "unified resource \"\(key)\" can't be set: controller \"\(controller)\" not available in \(directory)")
                }
                throw CgroupError(field: field, "unified resource \"\(key)\" can't be set: \(path) does not exist")
            }
            let lines = unified[key]!.split(separator: "\n", omittingEmptySubsequences: true)
            for line in lines.isEmpty ? [""] : lines {
                try withField(field) { try CgroupFiles.write(path, String(line)) }
            }
        }
    }
}
