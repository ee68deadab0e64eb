// Init stages for how the process is scheduled and runs: scheduler, I/O priority, CPU
// affinity, personality and NUMA memory policy. Applied while init still has its full
// capabilities (real-time policies, negative nice and RT I/O need CAP_SYS_NICE/ADMIN), in
// the order runc applies them, so both runtimes fail the same configs the same way.
#if canImport(Glibc)
import Glibc
#endif
import Linux
import OCISpec

extension InitStages {
    static func applyScheduler(_ c: InitContext) throws {
        guard let scheduler = c.process.scheduler else { return }
        let attributes = try SchedulingSettings.attributes(scheduler)
        do {
            try Scheduling.setAttributes(attributes)
        } catch let error as SyscallError {
            var hint = ""
            if error.errno == EPERM && attributes.policy == SchedulingPolicy.deadline {
                hint = " (SCHED_DEADLINE needs every CPU of the root domain allowed: check linux.resources.cpu.cpus and the cpuset)"
            } else if error.errno == EPERM && (attributes.policy == SchedulingPolicy.fifo || attributes.policy == SchedulingPolicy.rr) {
                hint = " (real-time policies need CAP_SYS_NICE and, with RT group scheduling, real-time runtime in the container's cpu cgroup: linux.resources.cpu.realtimeRuntime)"
            } else if error.errno == EINVAL && attributes.policy == SchedulingPolicy.iso {
                hint = " (the kernel does not implement SCHED_ISO)"
            }
            throw RuntimeError("process.scheduler: \(error)\(hint)")
        }
    }

    static func applyIOPriority(_ c: InitContext) throws {
        guard let io = c.process.ioPriority else { return }
        let value = try SchedulingSettings.ioPriority(io)
        // Of init itself, as runc does: everything the container starts inherits it.
        try context("process.ioPriority") { try Scheduling.setIOPriority(value) }
    }

    static func affinityPlan(_ c: InitContext) throws -> CPUAffinityPlan {
        c.bootstrap.mode == .exec ? try CPUAffinityPlan(c.process.execCPUAffinity) : .containerInit
    }

    /// exec's stage 1, before it joins anything: the CPUs the runtime's side of the setup
    /// runs on (e.g. housekeeping CPUs kept apart from the container's).
    static func setInitialCPUAffinity(_ c: InitContext) throws {
        guard let initial = try affinityPlan(c).initial else { return }
        try applyAffinity(initial, field: "process.execCPUAffinity.initial")
    }

    /// Right after the cgroup move, which may itself have changed the affinity (cpuset).
    static func setCPUAffinityAfterCgroup(_ c: InitContext) throws {
        let plan = try affinityPlan(c)
        if let final = plan.final {
            try applyAffinity(final, field: "process.execCPUAffinity.final")
        } else if plan.resetAfterCgroup {
            // Best effort, as in runc: a process that keeps the runtime's affinity still runs.
            do { try Scheduling.setAffinityToEveryCPU() } catch {
                Logger.shared.warning("resetting the CPU affinity failed, the process keeps the runtime's: \(error)")
            }
        }
    }

    private static func applyAffinity(_ mask: BitMask, field: String) throws {
        do {
            try Scheduling.setAffinity(mask)
        } catch let error as SyscallError where error.errno == EINVAL {
            throw RuntimeError("\(field): \(error) (none of CPUs \(mask) is online and allowed by the cpuset)")
        } catch {
            throw RuntimeError("\(field): \(error)")
        }
    }

    static func applyPersonality(_ c: InitContext) throws {
        guard let personality = c.spec.linux?.personality else { return }
        let persona = try PersonalitySettings.persona(personality)
        try context("linux.personality") { try Personality.set(persona) }
    }

    static func applyMemoryPolicy(_ c: InitContext) throws {
        guard let policy = c.spec.linux?.memoryPolicy else { return }
        let plan = try MemoryPolicyPlan(policy)
        do {
            try MemoryPolicy.set(mode: plan.mode, nodes: plan.nodes)
        } catch let error as SyscallError where error.errno == EINVAL {
            let nodes = plan.nodes.map { ", nodes \($0)" } ?? ""
            throw RuntimeError("linux.memoryPolicy: \(error) (mode \(policy.mode)\(nodes): a node that is not online or not allowed by the cpuset, or a flag the mode does not take)")
        } catch {
            throw RuntimeError("linux.memoryPolicy: \(error)")
        }
    }
}
