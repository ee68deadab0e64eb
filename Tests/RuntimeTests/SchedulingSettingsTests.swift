import XCTest
import Linux
import OCISpec
@testable import Runtime

final class SchedulingSettingsTests: XCTestCase {
    private func scheduler(_ policy: String, nice: Int32? = nil, priority: Int32? = nil, flags: [String]? = nil) -> Scheduler {
        var s = Scheduler()
        s.policy = policy
        s.nice = nice
        s.priority = priority
        s.flags = flags
        return s
    }

    func testPoliciesAndFlagsBecomeKernelValues() throws {
        let expected: [String: UInt32] = ["SCHED_OTHER": 0, "SCHED_FIFO": 1, "SCHED_RR": 2, "SCHED_BATCH": 3,
                                          "SCHED_ISO": 4, "SCHED_IDLE": 5, "SCHED_DEADLINE": 6]
        for name in KnownNames.schedulerPolicies {
            XCTAssertEqual(try SchedulingSettings.attributes(scheduler(name)).policy, expected[name], name)
        }
        var s = scheduler("SCHED_DEADLINE", flags: ["SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM", "SCHED_FLAG_UTIL_CLAMP_MAX"])
        s.runtime = 1_000
        s.deadline = 2_000
        s.period = 3_000
        let a = try SchedulingSettings.attributes(s)
        XCTAssertEqual(a, SchedulingAttributes(policy: 6, flags: 0x43, nice: 0, priority: 0, runtime: 1_000, deadline: 2_000, period: 3_000))
        XCTAssertEqual(try SchedulingSettings.attributes(scheduler("SCHED_FIFO", nice: -3, priority: 42)),
                       SchedulingAttributes(policy: 1, nice: -3, priority: 42))
        for name in KnownNames.schedulerFlags {
            XCTAssertNotNil(SchedulingSettings.flags[name], name)
        }
    }

    func testSchedulerErrorsNameTheField() {
        XCTAssertThrowsError(try SchedulingSettings.attributes(scheduler("SCHED_FOO"))) {
            XCTAssertTrue("\($0)".hasPrefix("process.scheduler.policy: "), "\($0)")
        }
        XCTAssertThrowsError(try SchedulingSettings.attributes(scheduler("SCHED_OTHER", flags: ["SCHED_FLAG_RECLAIM", "BAD"]))) {
            XCTAssertTrue("\($0)".hasPrefix("process.scheduler.flags[1]: "), "\($0)")
        }
        XCTAssertThrowsError(try SchedulingSettings.attributes(scheduler("SCHED_RR", priority: -1))) {
            XCTAssertTrue("\($0)".hasPrefix("process.scheduler.priority: "), "\($0)")
        }
    }

    func testIOPriority() throws {
        var io = LinuxIOPriority()
        io.class = "IOPRIO_CLASS_BE"
        io.priority = 6
        XCTAssertEqual(try SchedulingSettings.ioPriority(io), 2 << 13 | 6)
        io.class = "IOPRIO_CLASS_RT"
        io.priority = 0
        XCTAssertEqual(try SchedulingSettings.ioPriority(io), 1 << 13)
        io.class = "IOPRIO_CLASS_IDLE"
        XCTAssertEqual(try SchedulingSettings.ioPriority(io), 3 << 13)
        io.priority = 8
        XCTAssertThrowsError(try SchedulingSettings.ioPriority(io)) { XCTAssertTrue("\($0)".hasPrefix("process.ioPriority.priority: ")) }
        io.class = "IOPRIO_CLASS_NONE"
        XCTAssertThrowsError(try SchedulingSettings.ioPriority(io)) { XCTAssertTrue("\($0)".hasPrefix("process.ioPriority.class: ")) }
    }

    func testCPUListsBecomeMasks() throws {
        XCTAssertEqual(try SchedulingSettings.mask("0-3,7", field: "f")?.words, [0x8f])
        XCTAssertEqual(try SchedulingSettings.mask(" 1 , 65", field: "f")?.words, [2, 2])
        XCTAssertNil(try SchedulingSettings.mask("", field: "f"))
        XCTAssertNil(try SchedulingSettings.mask(nil, field: "f"))
        XCTAssertThrowsError(try SchedulingSettings.mask("3-1", field: "process.execCPUAffinity.final")) {
            XCTAssertTrue("\($0)".hasPrefix("process.execCPUAffinity.final: invalid CPU list"), "\($0)")
        }
    }

    func testAffinityPlans() throws {
        let none = try CPUAffinityPlan(nil)
        XCTAssertTrue(none.resetAfterCgroup)
        XCTAssertEqual(none.afterCgroup, Scheduling.everyCPU)

        var affinity = CPUAffinity()
        affinity.initial = "0"
        let initialOnly = try CPUAffinityPlan(affinity)
        XCTAssertEqual(initialOnly.initial?.members, [0])
        XCTAssertNil(initialOnly.afterCgroup, "config.md: without final the runtime SHOULD NOT change the affinity after the move")

        affinity.final = "1-2"
        let both = try CPUAffinityPlan(affinity)
        XCTAssertEqual(both.afterCgroup?.members, [1, 2])

        affinity.initial = "x"
        XCTAssertThrowsError(try CPUAffinityPlan(affinity)) {
            XCTAssertTrue("\($0)".hasPrefix("process.execCPUAffinity.initial: "), "\($0)")
        }
        XCTAssertEqual(CPUAffinityPlan.containerInit.afterCgroup, Scheduling.everyCPU)
        XCTAssertNil(CPUAffinityPlan.containerInit.initial)
    }

    func testPersonality() throws {
        var p = LinuxPersonality()
        p.domain = "LINUX32"
        XCTAssertEqual(try PersonalitySettings.persona(p), 0x0008)
        p.domain = "LINUX"
        XCTAssertEqual(try PersonalitySettings.persona(p), 0)
        p.domain = "BSD"
        XCTAssertThrowsError(try PersonalitySettings.persona(p)) { XCTAssertTrue("\($0)".hasPrefix("linux.personality.domain: ")) }
    }

    private func policy(_ mode: String, _ nodes: String? = nil, _ flags: [String]? = nil) -> LinuxMemoryPolicy {
        var p = LinuxMemoryPolicy()
        p.mode = mode
        p.nodes = nodes
        p.flags = flags
        return p
    }

    func testMemoryPolicyModesNodesAndFlags() throws {
        let bind = try MemoryPolicyPlan(policy("MPOL_BIND", "0-1", ["MPOL_F_STATIC_NODES"]))
        XCTAssertEqual(bind.mode, 2 | 1 << 15)
        XCTAssertEqual(bind.nodes?.words, [3])
        let interleave = try MemoryPolicyPlan(policy("MPOL_INTERLEAVE", "0,2", ["MPOL_F_RELATIVE_NODES", "MPOL_F_NUMA_BALANCING"]))
        XCTAssertEqual(interleave.mode, 3 | 1 << 14 | 1 << 13)
        XCTAssertEqual(interleave.nodes?.words, [5])
        let preferred = try MemoryPolicyPlan(policy("MPOL_PREFERRED"))
        XCTAssertEqual(preferred.mode, 1)
        XCTAssertNil(preferred.nodes, "MPOL_PREFERRED without nodes means local allocation")
        XCTAssertEqual(try MemoryPolicyPlan(policy("MPOL_LOCAL", "")).mode, 4)
        XCTAssertEqual(try MemoryPolicyPlan(policy("MPOL_DEFAULT")).mode, 0)
        XCTAssertEqual(try MemoryPolicyPlan(policy("MPOL_PREFERRED_MANY", "1")).mode, 5)
        XCTAssertEqual(try MemoryPolicyPlan(policy("MPOL_WEIGHTED_INTERLEAVE", "1")).mode, 6)
        for mode in KnownNames.memoryPolicyModes { XCTAssertNotNil(MemoryPolicyPlan.modes[mode], mode) }
        for flag in KnownNames.memoryPolicyFlags { XCTAssertNotNil(MemoryPolicyPlan.flags[flag], flag) }
    }

    func testMemoryPolicyErrorsNameTheField() {
        let cases: [(LinuxMemoryPolicy, String)] = [
            (policy("MPOL_NOPE"), "linux.memoryPolicy.mode: "),
            (policy("MPOL_BIND"), "linux.memoryPolicy.nodes: MPOL_BIND needs at least one node"),
            (policy("MPOL_DEFAULT", "0"), "linux.memoryPolicy.nodes: MPOL_DEFAULT takes no nodes"),
            (policy("MPOL_BIND", "0-"), "linux.memoryPolicy.nodes: invalid CPU list"),
            (policy("MPOL_BIND", "0", ["MPOL_F_STATIC_NODES", "MPOL_F_X"]), "linux.memoryPolicy.flags[1]: "),
        ]
        for (p, prefix) in cases {
            XCTAssertThrowsError(try MemoryPolicyPlan(p)) { XCTAssertTrue("\($0)".hasPrefix(prefix), "\($0) (want \(prefix))") }
        }
    }

    func testFeaturesListWhatInitApplies() {
        let linux = FeaturesReport.make().linux
        XCTAssertEqual(linux?.memoryPolicy?.modes, KnownNames.memoryPolicyModes)
        XCTAssertEqual(linux?.memoryPolicy?.flags, KnownNames.memoryPolicyFlags)
        XCTAssertEqual(linux?.netDevices?.enabled, true)
    }
}
