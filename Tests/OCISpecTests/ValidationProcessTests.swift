import XCTest
@testable import OCISpec

final class ValidationProcessTests: XCTestCase {
    private func spec(_ change: (inout OCISpec.Process) -> Void) -> Spec {
        var s = validBaseSpec()
        change(&s.process!)
        return s
    }

    func testArgs() {
        assertRejects(spec { $0.args = nil }, "process.args: must not be empty")
        assertRejects(spec { $0.args = [] }, "process.args: must not be empty")
        assertRejects(spec { $0.args = ["", "x"] }, "process.args[0]: must not be empty")
        assertRejects(spec { $0.args = ["sh", "a\u{0}b"] }, "process.args[1]: must not contain a NUL byte")
        assertAccepts(spec { $0.args = ["/bin/echo", "", "hi"] })
    }

    func testCwd() {
        assertRejects(spec { $0.cwd = "" }, "process.cwd: must not be empty")
        assertRejects(spec { $0.cwd = "tmp" }, "process.cwd: must be an absolute path, got \"tmp\"")
        assertAccepts(spec { $0.cwd = "/home/user" })
    }

    func testEnv() {
        assertRejects(spec { $0.env = ["PATH=/bin", "JUSTNAME"] }, "process.env[1]: must be in KEY=VALUE form, got \"JUSTNAME\"")
        assertRejects(spec { $0.env = ["=value"] }, "process.env[0]: variable name must not be empty in \"=value\"")
        assertRejects(spec { $0.env = ["A=b\u{0}c"] }, "process.env[0]: must not contain a NUL byte")
        assertAccepts(spec { $0.env = ["EMPTY=", "A=b=c", "PATH=/bin"] })
    }

    func testSELinuxLabelNeedsSELinux() throws {
        let labelled = spec { $0.selinuxLabel = "system_u:system_r:container_t:s0" }
        assertAccepts(spec { $0.selinuxLabel = "" })
        if FileManager.default.fileExists(atPath: "/sys/fs/selinux/enforce") {
            assertAccepts(labelled)
        } else {
            assertRejects(labelled, "process.selinuxLabel: selinux label is specified in config, but selinux is disabled or not supported")
        }
    }

    func testUmask() {
        assertRejects(spec { $0.user.umask = 0o1000 }, "process.user.umask: must be at most 0777 (511), got 512")
        assertAccepts(spec { $0.user.umask = 0o777 })
        assertAccepts(spec { $0.user.umask = 0o022 })
    }

    func testRlimits() {
        let bad = spec {
            $0.rlimits = [
                POSIXRlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024),
                POSIXRlimit(type: "RLIMIT_BOGUS", hard: 1, soft: 1),
                POSIXRlimit(type: "RLIMIT_NOFILE", hard: 10, soft: 10),
                POSIXRlimit(type: "RLIMIT_CORE", hard: 10, soft: 20),
            ]
        }
        XCTAssertEqual(errorLines(bad), [
            "process.rlimits[1].type: unknown rlimit type \"RLIMIT_BOGUS\"",
            "process.rlimits[2].type: duplicate rlimit type \"RLIMIT_NOFILE\" (first at process.rlimits[0])",
            "process.rlimits[3]: soft limit 20 is greater than hard limit 10",
        ])
        assertAccepts(spec { p in p.rlimits = KnownNames.rlimits.map { POSIXRlimit(type: $0, hard: 5, soft: 5) } })
        XCTAssertEqual(KnownNames.rlimitNumber("RLIMIT_NOFILE"), 7)
        XCTAssertEqual(KnownNames.rlimitNumber("RLIMIT_RTTIME"), 15)
    }

    func testUnknownCapabilitiesAreWarningsNamingTheElement() {
        let s = spec {
            var caps = LinuxCapabilities()
            caps.bounding = ["CAP_CHOWN", "CAP_KILL", "CAP_AUDIT_WRITE", "CAP_BOGUS"]
            caps.ambient = ["chown"]
            caps.effective = ["CAP_CHECKPOINT_RESTORE", "CAP_BPF", "CAP_PERFMON"]
            $0.capabilities = caps
        }
        assertAccepts(s)
        XCTAssertEqual(warningLines(s), [
            "process.capabilities.bounding[3]: unknown capability \"CAP_BOGUS\" is ignored",
            "process.capabilities.ambient[0]: unknown capability \"chown\" is ignored",
        ])
        XCTAssertEqual(KnownNames.capabilities.count, 41)
        XCTAssertEqual(KnownNames.capabilityNumber("CAP_SYS_ADMIN"), 21)
        XCTAssertEqual(KnownNames.capabilityNumber("CAP_CHECKPOINT_RESTORE"), 40)
    }

    func testOOMScoreAdj() {
        assertRejects(spec { $0.oomScoreAdj = 1001 }, "process.oomScoreAdj: must be in [-1000, 1000], got 1001")
        assertRejects(spec { $0.oomScoreAdj = -1001 }, "process.oomScoreAdj: must be in [-1000, 1000], got -1001")
        assertAccepts(spec { $0.oomScoreAdj = -1000 })
        assertAccepts(spec { $0.oomScoreAdj = 1000 })
    }

    private func scheduler(_ policy: String, _ change: (inout Scheduler) -> Void = { _ in }) -> Spec {
        spec { p in
            var s = Scheduler()
            s.policy = policy
            change(&s)
            p.scheduler = s
        }
    }

    func testScheduler() {
        assertRejects(scheduler(""), "process.scheduler.policy: is required")
        assertRejects(scheduler("SCHED_FAST"), "process.scheduler.policy: unknown scheduler policy \"SCHED_FAST\"")
        assertRejects(scheduler("SCHED_OTHER") { $0.nice = 20 }, "process.scheduler.nice: must be in [-20, 19], got 20")
        assertRejects(scheduler("SCHED_BATCH") { $0.nice = -21 }, "process.scheduler.nice: must be in [-20, 19], got -21")
        assertRejects(scheduler("SCHED_OTHER") { $0.priority = 5 }, "process.scheduler.priority: can only be set for SCHED_FIFO or SCHED_RR")
        assertRejects(scheduler("SCHED_FIFO"), "process.scheduler.priority: must be in [1, 99] for SCHED_FIFO, got 0")
        assertRejects(scheduler("SCHED_RR") { $0.priority = 100 }, "process.scheduler.priority: must be in [1, 99] for SCHED_RR, got 100")
        assertRejects(scheduler("SCHED_OTHER") { $0.runtime = 10 }, "process.scheduler: runtime, deadline and period can only be set for SCHED_DEADLINE")
        assertRejects(scheduler("SCHED_DEADLINE") { $0.runtime = 20; $0.deadline = 10 }, "process.scheduler.runtime: must not exceed deadline (10)")
        assertRejects(scheduler("SCHED_DEADLINE") { $0.runtime = 5; $0.deadline = 10; $0.period = 8 }, "process.scheduler.deadline: must not exceed period (8)")
        assertRejects(scheduler("SCHED_OTHER") { $0.flags = ["SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_NOPE"] },
                      "process.scheduler.flags[1]: unknown scheduler flag \"SCHED_FLAG_NOPE\"")
        assertAccepts(scheduler("SCHED_OTHER") { $0.nice = -20; $0.flags = KnownNames.schedulerFlags })
        assertAccepts(scheduler("SCHED_FIFO") { $0.priority = 99 })
        assertAccepts(scheduler("SCHED_DEADLINE") { $0.runtime = 5; $0.deadline = 10; $0.period = 20 })
        assertAccepts(scheduler("SCHED_IDLE"))
    }

    func testIOPriority() {
        var io = LinuxIOPriority()
        io.class = "IOPRIO_CLASS_NONE"
        io.priority = 8
        let s = spec { $0.ioPriority = io }
        XCTAssertEqual(errorLines(s), [
            "process.ioPriority.class: unknown I/O priority class \"IOPRIO_CLASS_NONE\"",
            "process.ioPriority.priority: must be in [0, 7], got 8",
        ])
        for cls in ["IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"] {
            io.class = cls
            io.priority = 7
            assertAccepts(spec { $0.ioPriority = io })
        }
        io.priority = -1
        assertRejects(spec { $0.ioPriority = io }, "process.ioPriority.priority: must be in [0, 7], got -1")
    }

    func testExecCPUAffinity() {
        var aff = CPUAffinity()
        aff.initial = "0-3,7"
        aff.final = " 1 , 2-2,"
        assertAccepts(spec { $0.execCPUAffinity = aff })
        aff.initial = "3-1"
        aff.final = "a"
        XCTAssertEqual(errorLines(spec { $0.execCPUAffinity = aff }), [
            "process.execCPUAffinity.initial: invalid CPU list \"3-1\": range \"3-1\" is reversed",
            "process.execCPUAffinity.final: invalid CPU list \"a\": bad element \"a\"",
        ])
        aff.initial = ","
        aff.final = nil
        assertRejects(spec { $0.execCPUAffinity = aff }, "process.execCPUAffinity.initial: invalid CPU list \",\": no members")
    }

    func testCPUListParsing() throws {
        XCTAssertEqual(try CPUList(parsing: "0-3,7").ranges, [0...3, 7...7])
        XCTAssertEqual(try CPUList(parsing: "0-3,7").count, 5)
        XCTAssertThrowsError(try CPUList(parsing: "1-"))
        XCTAssertThrowsError(try CPUList(parsing: "-1"))
        XCTAssertThrowsError(try CPUList(parsing: "65537"))
        XCTAssertNoThrow(try CPUList(parsing: "65536"))
    }

    func testStandaloneProcessValidationForExec() {
        var p = OCISpec.Process()
        p.cwd = "/"
        p.args = []
        XCTAssertEqual(validateProcess(p).errors.map(\.description), ["args: must not be empty"])
        p.args = ["true"]
        XCTAssertEqual(validateProcess(p).errors, [])
    }
}
