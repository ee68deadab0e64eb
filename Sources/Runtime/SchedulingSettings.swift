// config.json's scheduling, I/O priority, affinity, personality and memory policy objects as
// the kernel values init applies. Pure: every bad value is an error naming its JSON field,
// found before init changes anything.
import Linux
import OCISpec

enum SchedulingSettings {
    static let policies: [String: UInt32] = [
        "SCHED_OTHER": SchedulingPolicy.other, "SCHED_FIFO": SchedulingPolicy.fifo, "SCHED_RR": SchedulingPolicy.rr,
        "SCHED_BATCH": SchedulingPolicy.batch, "SCHED_ISO": SchedulingPolicy.iso, "SCHED_IDLE": SchedulingPolicy.idle,
        "SCHED_DEADLINE": SchedulingPolicy.deadline,
    ]
    static let flags: [String: UInt64] = [
        "SCHED_FLAG_RESET_ON_FORK": SchedulingFlag.resetOnFork, "SCHED_FLAG_RECLAIM": SchedulingFlag.reclaim,
        "SCHED_FLAG_DL_OVERRUN": SchedulingFlag.dlOverrun, "SCHED_FLAG_KEEP_POLICY": SchedulingFlag.keepPolicy,
        "SCHED_FLAG_KEEP_PARAMS": SchedulingFlag.keepParams, "SCHED_FLAG_UTIL_CLAMP_MIN": SchedulingFlag.utilClampMin,
        "SCHED_FLAG_UTIL_CLAMP_MAX": SchedulingFlag.utilClampMax,
    ]

    static func attributes(_ s: Scheduler) throws -> SchedulingAttributes {
        guard let policy = policies[s.policy] else {
            throw RuntimeError("process.scheduler.policy: unknown scheduler policy \"\(s.policy)\"")
        }
        var bits: UInt64 = 0
        for (i, name) in (s.flags ?? []).enumerated() {
            guard let bit = flags[name] else { throw RuntimeError("process.scheduler.flags[\(i)]: unknown scheduler flag \"\(name)\"") }
            bits |= bit
        }
        let priority = s.priority ?? 0
        guard priority >= 0 else { throw RuntimeError("process.scheduler.priority: must not be negative, got \(priority)") }
        return SchedulingAttributes(policy: policy, flags: bits, nice: s.nice ?? 0, priority: UInt32(priority),
                                    runtime: s.runtime ?? 0, deadline: s.deadline ?? 0, period: s.period ?? 0)
    }

    static let ioClasses: [String: Int32] = [
        "IOPRIO_CLASS_RT": IOPriorityClass.realtime, "IOPRIO_CLASS_BE": IOPriorityClass.bestEffort,
        "IOPRIO_CLASS_IDLE": IOPriorityClass.idle,
    ]

    static func ioPriority(_ io: LinuxIOPriority) throws -> Int32 {
        guard let ioClass = ioClasses[io.class] else {
            throw RuntimeError("process.ioPriority.class: unknown I/O priority class \"\(io.class)\"")
        }
        guard (0...7).contains(io.priority) else {
            throw RuntimeError("process.ioPriority.priority: must be in [0, 7], got \(io.priority)")
        }
        return IOPriorityClass.value(class: ioClass, level: Int32(io.priority))
    }

    /// A cpuset-style list (`0-3,7`) as a mask; nil when absent or empty (nothing to set).
    static func mask(_ list: String?, field: String) throws -> BitMask? {
        guard let list, !list.isEmpty else { return nil }
        do {
            return BitMask(ranges: try CPUList(parsing: list).ranges)
        } catch {
            throw RuntimeError("\(field): \(error)")
        }
    }
}

/// What the process's CPU affinity becomes: execCPUAffinity applies to `exec` only
/// (config.md: "not applicable to the container's init process").
struct CPUAffinityPlan: Equatable {
    /// Set before the process joins the container's cgroup.
    var initial: BitMask?
    /// Set once it is in the cgroup.
    var final: BitMask?
    /// With no affinity configured, the process gets every CPU back once in its cgroup
    /// rather than inheriting the runtime's (runc does the same for init and exec).
    var resetAfterCgroup: Bool

    init(_ affinity: CPUAffinity?) throws {
        initial = try SchedulingSettings.mask(affinity?.initial, field: "process.execCPUAffinity.initial")
        final = try SchedulingSettings.mask(affinity?.final, field: "process.execCPUAffinity.final")
        resetAfterCgroup = initial == nil && final == nil
    }

    /// For a container's init: the setting does not apply, only the reset does.
    static let containerInit = CPUAffinityPlan(initial: nil, final: nil, resetAfterCgroup: true)

    private init(initial: BitMask?, final: BitMask?, resetAfterCgroup: Bool) {
        self.initial = initial; self.final = final; self.resetAfterCgroup = resetAfterCgroup
    }

    /// The mask to set after the cgroup move, if any.
    var afterCgroup: BitMask? { final ?? (resetAfterCgroup ? Scheduling.everyCPU : nil) }
}

enum PersonalitySettings {
    static func persona(_ p: LinuxPersonality) throws -> UInt {
        switch p.domain {
        case "LINUX": return Personality.linux
        case "LINUX32": return Personality.linux32
        default: throw RuntimeError("linux.personality.domain: invalid personality domain \"\(p.domain)\" (want \"LINUX\" or \"LINUX32\")")
        }
    }
}

/// set_mempolicy's arguments for `linux.memoryPolicy`.
struct MemoryPolicyPlan: Equatable {
    /// The mode with its flag bits.
    var mode: Int32
    var nodes: BitMask?

    static let modes: [String: Int32] = [
        "MPOL_DEFAULT": MemoryPolicyMode.default, "MPOL_PREFERRED": MemoryPolicyMode.preferred,
        "MPOL_BIND": MemoryPolicyMode.bind, "MPOL_INTERLEAVE": MemoryPolicyMode.interleave,
        "MPOL_LOCAL": MemoryPolicyMode.local, "MPOL_PREFERRED_MANY": MemoryPolicyMode.preferredMany,
        "MPOL_WEIGHTED_INTERLEAVE": MemoryPolicyMode.weightedInterleave,
    ]
    static let flags: [String: Int32] = [
        "MPOL_F_NUMA_BALANCING": MemoryPolicyFlag.numaBalancing, "MPOL_F_RELATIVE_NODES": MemoryPolicyFlag.relativeNodes,
        "MPOL_F_STATIC_NODES": MemoryPolicyFlag.staticNodes,
    ]

    init(_ p: LinuxMemoryPolicy) throws {
        guard let mode = MemoryPolicyPlan.modes[p.mode] else {
            throw RuntimeError("linux.memoryPolicy.mode: unknown memory policy mode \"\(p.mode)\"")
        }
        var bits: Int32 = 0
        for (i, name) in (p.flags ?? []).enumerated() {
            guard let bit = MemoryPolicyPlan.flags[name] else {
                throw RuntimeError("linux.memoryPolicy.flags[\(i)]: unknown memory policy flag \"\(name)\"")
            }
            bits |= bit
        }
        nodes = try SchedulingSettings.mask(p.nodes, field: "linux.memoryPolicy.nodes")
        let needsNodes = mode == MemoryPolicyMode.bind || mode == MemoryPolicyMode.interleave
            || mode == MemoryPolicyMode.preferredMany || mode == MemoryPolicyMode.weightedInterleave
        if needsNodes && nodes == nil {
            throw RuntimeError("linux.memoryPolicy.nodes: \(p.mode) needs at least one node")
        }
        if (mode == MemoryPolicyMode.default || mode == MemoryPolicyMode.local), let nodes {
            throw RuntimeError("linux.memoryPolicy.nodes: \(p.mode) takes no nodes, got \(nodes)")
        }
        self.mode = mode | bits
    }
}
