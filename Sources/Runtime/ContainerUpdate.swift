// `update`: new limits for a live container. As runc 1.5 does, the request (a LinuxResources
// from --resources, or built from the flags) is merged into the resources saved at create or
// at the last update, the whole merged set (devices excepted) is written to the cgroups, and
// it is saved for the next update. A failed write puts the saved set back.
#if canImport(Glibc)
import Glibc
#endif
import Cgroups
import Linux
import OCISpec

/// What `update` was asked to change.
public struct UpdateRequest: Equatable {
    public var resources: LinuxResources
    public var l3CacheSchema: String?
    public var memBwSchema: String?

    /// runc starts from empty memory (with checkBeforeUpdate false), cpu, blockIO and pids
    /// objects, so those are never nil here.
    public init(resources: LinuxResources = LinuxResources(), l3CacheSchema: String? = nil, memBwSchema: String? = nil) {
        var r = resources
        var memory = r.memory ?? LinuxMemory()
        if memory.checkBeforeUpdate == nil { memory.checkBeforeUpdate = false }
        r.memory = memory
        if r.cpu == nil { r.cpu = LinuxCPU() }
        if r.blockIO == nil { r.blockIO = LinuxBlockIO() }
        if r.pids == nil { r.pids = LinuxPids() }
        self.resources = r
        self.l3CacheSchema = l3CacheSchema
        self.memBwSchema = memBwSchema
    }

    /// The body of `--resources FILE|-`; every other flag is then ignored.
    public static func fromJSON(_ bytes: [UInt8], source: String) throws -> UpdateRequest {
        do {
            return UpdateRequest(resources: try LinuxResources.read(fromJSON: bytes))
        } catch {
            throw RuntimeError("update: decode resources from \(source): \(error)")
        }
    }

    /// The individual flags, by runc's names (`memory`, `cpu-quota`, ...), with the text the
    /// user gave. Memory values take units (`512m`, `1g`) or -1; blkio-weight and pids-limit
    /// are Go integer flags (0x.., 0o.. accepted).
    public static func fromFlags(_ flags: [String: String]) throws -> UpdateRequest {
        var request = UpdateRequest()
        var memory = request.resources.memory!
        var cpu = request.resources.cpu!
        var blockIO = request.resources.blockIO!

        if let text = flags["blkio-weight"] {
            let value = try goIntFlag(text, "blkio-weight")
            // urfave/cli reads an int and runc narrows it to uint16 without a check.
            if value != 0 { blockIO.weight = UInt16(truncatingIfNeeded: value) }
        }
        if let text = flags["cpuset-cpus"], !text.isEmpty { cpu.cpus = text }
        if let text = flags["cpuset-mems"], !text.isEmpty { cpu.mems = text }
        if let text = flags["cpu-idle"], !text.isEmpty {
            cpu.idle = try value(text, "cpu-idle", CommandLineValues.decimalInt)
        }
        if let text = flags["cpu-burst"], !text.isEmpty { cpu.burst = try value(text, "cpu-burst", CommandLineValues.decimalUInt) }
        if let text = flags["cpu-period"], !text.isEmpty { cpu.period = try value(text, "cpu-period", CommandLineValues.decimalUInt) }
        if let text = flags["cpu-rt-period"], !text.isEmpty {
            cpu.realtimePeriod = try value(text, "cpu-rt-period", CommandLineValues.decimalUInt)
        }
        if let text = flags["cpu-share"], !text.isEmpty { cpu.shares = try value(text, "cpu-share", CommandLineValues.decimalUInt) }
        if let text = flags["cpu-quota"], !text.isEmpty { cpu.quota = try value(text, "cpu-quota", CommandLineValues.decimalInt) }
        if let text = flags["cpu-rt-runtime"], !text.isEmpty {
            cpu.realtimeRuntime = try value(text, "cpu-rt-runtime", CommandLineValues.decimalInt)
        }
        memory.limit = try memoryFlag(flags["memory"], "memory")
        memory.swap = try memoryFlag(flags["memory-swap"], "memory-swap")
        memory.kernel = try memoryFlag(flags["kernel-memory"], "kernel-memory")
        memory.kernelTCP = try memoryFlag(flags["kernel-memory-tcp"], "kernel-memory-tcp")
        memory.reservation = try memoryFlag(flags["memory-reservation"], "memory-reservation")
        if let text = flags["pids-limit"] {
            request.resources.pids = LinuxPids(limit: try goIntFlag(text, "pids-limit"))
        }
        request.resources.memory = memory
        request.resources.cpu = cpu
        request.resources.blockIO = blockIO
        request.l3CacheSchema = flags["l3-cache-schema"].flatMap { $0.isEmpty ? nil : $0 }
        request.memBwSchema = flags["mem-bw-schema"].flatMap { $0.isEmpty ? nil : $0 }
        return request
    }

    private static func value<T>(_ text: String, _ flag: String, _ parse: (String) throws -> T) throws -> T {
        do { return try parse(text) } catch {
            throw RuntimeError("invalid value for \(flag): \(error)")
        }
    }

    private static func goIntFlag(_ text: String, _ flag: String) throws -> Int64 {
        do { return try CommandLineValues.goInt(text) } catch {
            throw RuntimeError("invalid value \(CommandLineValues.goQuoted(text)) for flag -\(flag): \(error)")
        }
    }

    private static func memoryFlag(_ text: String?, _ flag: String) throws -> Int64? {
        guard let text, !text.isEmpty else { return nil }
        if text == "-1" { return -1 }
        return try value(text, flag, CommandLineValues.ramInBytes)
    }
}

public enum ResourceMerge {
    /// runc's fix-ups of the request before merging: an unlimited memory limit with no swap
    /// figure also resets swap, and cpu.idle without shares resets shares, so neither is
    /// refused by the kernel against an old value.
    public static func fixedUp(_ request: LinuxResources) -> LinuxResources {
        var r = request
        if r.memory?.limit == -1 && r.memory?.swap == nil { r.memory?.swap = 0 }
        if r.cpu?.idle != nil && r.cpu?.shares == nil { r.cpu?.shares = 0 }
        return r
    }

    /// `saved` updated by `request` field by field, as runc's update does: memory and rt
    /// values replace only when given; cpus, mems, burst, idle, pids and unified always
    /// replace; quota and period replace together unless exactly one of them is given;
    /// block-IO device entries are updated in place or appended. Devices, hugepages, network,
    /// rdma, kernel memory, swappiness and OOM-killer settings are not updatable.
    public static func merged(saved: LinuxResources, request r: LinuxResources) -> LinuxResources {
        var out = saved
        out.devices = nil

        var io = saved.blockIO ?? LinuxBlockIO()
        if let weight = r.blockIO?.weight { io.weight = weight }
        if let leafWeight = r.blockIO?.leafWeight { io.leafWeight = leafWeight }
        for device in r.blockIO?.weightDevice ?? [] { io.weightDevice = upsert(io.weightDevice, device) }
        io.throttleReadBpsDevice = upsert(io.throttleReadBpsDevice, r.blockIO?.throttleReadBpsDevice)
        io.throttleWriteBpsDevice = upsert(io.throttleWriteBpsDevice, r.blockIO?.throttleWriteBpsDevice)
        io.throttleReadIOPSDevice = upsert(io.throttleReadIOPSDevice, r.blockIO?.throttleReadIOPSDevice)
        io.throttleWriteIOPSDevice = upsert(io.throttleWriteIOPSDevice, r.blockIO?.throttleWriteIOPSDevice)
        out.blockIO = io == LinuxBlockIO() ? nil : io

        var cpu = saved.cpu ?? LinuxCPU()
        let period = r.cpu?.period ?? 0
        let quota = r.cpu?.quota ?? 0
        if (period == 0) == (quota == 0) {
            cpu.period = period == 0 ? nil : period
            cpu.quota = quota == 0 ? nil : quota
        } else if period != 0 {
            cpu.period = period
        } else {
            cpu.quota = quota
        }
        cpu.burst = r.cpu?.burst
        if let shares = r.cpu?.shares { cpu.shares = shares }
        if let rtPeriod = r.cpu?.realtimePeriod { cpu.realtimePeriod = rtPeriod }
        if let rtRuntime = r.cpu?.realtimeRuntime { cpu.realtimeRuntime = rtRuntime }
        cpu.cpus = r.cpu?.cpus.flatMap { $0.isEmpty ? nil : $0 }
        cpu.mems = r.cpu?.mems.flatMap { $0.isEmpty ? nil : $0 }
        cpu.idle = r.cpu?.idle
        out.cpu = cpu == LinuxCPU() ? nil : cpu

        var memory = saved.memory ?? LinuxMemory()
        memory.kernel = nil
        memory.kernelTCP = nil
        if let limit = r.memory?.limit { memory.limit = limit }
        if let reservation = r.memory?.reservation { memory.reservation = reservation }
        if let swap = r.memory?.swap { memory.swap = swap }
        if let check = r.memory?.checkBeforeUpdate { memory.checkBeforeUpdate = check }
        out.memory = memory == LinuxMemory() ? nil : memory

        out.pids = r.pids?.limit.map { LinuxPids(limit: $0) }
        out.unified = r.unified
        return out
    }

    /// The last entry for the same device is updated (a duplicate's last one wins, as in
    /// the kernel); a new device is appended.
    static func upsert(_ list: [LinuxWeightDevice]?, _ device: LinuxWeightDevice) -> [LinuxWeightDevice] {
        var devices = list ?? []
        if let i = devices.lastIndex(where: { $0.major == device.major && $0.minor == device.minor }) {
            if let weight = device.weight { devices[i].weight = weight }
            if let leafWeight = device.leafWeight { devices[i].leafWeight = leafWeight }
        } else {
            devices.append(device)
        }
        return devices
    }

    static func upsert(_ list: [LinuxThrottleDevice]?, _ updates: [LinuxThrottleDevice]?) -> [LinuxThrottleDevice]? {
        guard let updates, !updates.isEmpty else { return list }
        var devices = list ?? []
        for device in updates {
            if let i = devices.lastIndex(where: { $0.major == device.major && $0.minor == device.minor }) {
                devices[i].rate = device.rate
            } else {
                devices.append(device)
            }
        }
        return devices
    }
}

extension Container {
    /// Applies `request` to the running (or created, or paused) container and saves the
    /// merged resources. Warnings (ignored settings) are returned for the caller to log.
    public mutating func update(_ request: UpdateRequest) throws -> [String] {
        var warnings: [String] = []
        let fixed = ResourceMerge.fixedUp(request.resources)
        if fixed.memory?.kernel != nil || fixed.memory?.kernelTCP != nil {
            warnings.append("Kernel memory settings are ignored and will be removed")
        }
        let saved = record.resources ?? LinuxResources()
        let merged = ResourceMerge.merged(saved: saved, request: fixed)
        let report = validateResources(merged)
        if !report.isValid {
            throw RuntimeError("invalid resources: " + report.errors.map(\.description).joined(separator: "; "))
        }
        warnings += report.warnings.map(\.description)
        try Self.checkIntelRdt(request)

        if status == .stopped { throw RuntimeError("container not running") }
        let cgroup = try requireCgroup()
        do {
            try cgroup.apply(merged)
        } catch {
            do { try cgroup.apply(saved) } catch let rollback {
                warnings.append("Setting back cgroup configs failed due to error: \(rollback), your state.json and actual configs might be inconsistent.")
            }
            for warning in warnings { Logger.shared.warning(warning) }
            throw error
        }
        record.resources = merged
        try store.save(record)
        return warnings
    }

    /// swiftlet never sets up an Intel RDT group, so a schema can never be updated; the
    /// message says which of the two reasons applies, as runc's does.
    static func checkIntelRdt(_ request: UpdateRequest) throws {
        guard request.l3CacheSchema != nil || request.memBwSchema != nil else { return }
        let resctrl = resctrlMountPoint()
        if request.l3CacheSchema != nil && (resctrl.map { !FileSystem.exists($0 + "/info/L3") } ?? true) {
            throw RuntimeError("Intel RDT/CAT: l3 cache schema is not enabled")
        }
        if request.memBwSchema != nil && (resctrl.map { !FileSystem.exists($0 + "/info/MB") } ?? true) {
            throw RuntimeError("Intel RDT/MBA: memory bandwidth schema is not enabled")
        }
        throw RuntimeError("updating a non-existent Intel RDT configuration is not supported")
    }

    static func resctrlMountPoint() -> String? {
        guard let text = try? FileSystem.readText("/proc/self/mountinfo") else { return nil }
        return MountInfo.parseSkippingMalformed(text).first { $0.fsType == "resctrl" }?.mountPoint
    }
}
