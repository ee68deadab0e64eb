import XCTest
@testable import OCISpec

final class ValidationSeccompTests: XCTestCase {
    private func spec(_ change: (inout LinuxSeccomp) -> Void) -> Spec {
        var s = validBaseSpec()
        var seccomp = LinuxSeccomp()
        seccomp.defaultAction = "SCMP_ACT_ERRNO"
        seccomp.architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
        seccomp.syscalls = [LinuxSyscall(names: ["read", "write"], action: "SCMP_ACT_ALLOW")]
        change(&seccomp)
        s.linux?.seccomp = seccomp
        return s
    }

    private func arg(_ index: UInt, _ op: String) -> LinuxSeccompArg {
        var a = LinuxSeccompArg()
        a.index = index; a.op = op; a.value = 1
        return a
    }

    func testBaseProfileIsValid() {
        assertAccepts(spec { _ in })
        assertAccepts(spec { $0.defaultAction = ""; $0.syscalls = nil })  // no seccomp at all
    }

    func testDefaultAction() {
        assertRejects(spec { $0.defaultAction = "" }, "linux.seccomp.defaultAction: is required")
        assertRejects(spec { $0.defaultAction = "SCMP_ACT_DENY" }, "linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_DENY\"")
        assertRejects(spec { $0.defaultAction = "SCMP_ACT_NOTIFY"; $0.listenerPath = "/run/agent.sock" },
                      "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be used as the default action")
        for action in KnownNames.seccompActions where action != "SCMP_ACT_NOTIFY" {
            assertAccepts(spec { $0.defaultAction = action })
        }
    }

    func testErrnoOnlyWithErrnoOrTrace() {
        assertRejects(spec { $0.defaultAction = "SCMP_ACT_KILL"; $0.defaultErrnoRet = 1 },
                      "linux.seccomp.defaultErrnoRet: can only be set with SCMP_ACT_ERRNO or SCMP_ACT_TRACE")
        assertRejects(spec { $0.syscalls![0].errnoRet = 38 },
                      "linux.seccomp.syscalls[0].errnoRet: can only be set with SCMP_ACT_ERRNO or SCMP_ACT_TRACE")
        assertAccepts(spec { $0.defaultErrnoRet = 38; $0.syscalls![0].action = "SCMP_ACT_TRACE"; $0.syscalls![0].errnoRet = 1 })
    }

    func testArchitecturesAndFlags() {
        let s = spec { $0.architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"]; $0.flags = ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_FAST"] }
        XCTAssertEqual(errorLines(s), [
            "linux.seccomp.architectures[1]: unknown seccomp architecture \"SCMP_ARCH_VAX\"",
            "linux.seccomp.flags[1]: unknown seccomp flag \"SECCOMP_FILTER_FLAG_FAST\"",
        ])
        assertAccepts(spec { $0.architectures = KnownNames.seccompArchitectures; $0.flags = KnownNames.seccompFlags })
    }

    func testRules() {
        let s = spec {
            $0.syscalls = [
                LinuxSyscall(names: [], action: "SCMP_ACT_ALLOW"),
                LinuxSyscall(names: ["open", ""], action: "SCMP_ACT_NOPE"),
                LinuxSyscall(names: ["personality"], action: ""),
            ]
            var withArgs = LinuxSyscall(names: ["clone"], action: "SCMP_ACT_ERRNO")
            withArgs.args = [arg(0, "SCMP_CMP_MASKED_EQ"), arg(6, "SCMP_CMP_EQ"), arg(1, "SCMP_CMP_SAME")]
            $0.syscalls!.append(withArgs)
        }
        XCTAssertEqual(errorLines(s), [
            "linux.seccomp.syscalls[0].names: must contain at least one syscall name",
            "linux.seccomp.syscalls[1].names[1]: must not be empty",
            "linux.seccomp.syscalls[1].action: unknown seccomp action \"SCMP_ACT_NOPE\"",
            "linux.seccomp.syscalls[2].action: is required",
            "linux.seccomp.syscalls[3].args[1].index: must be less than 6 (syscalls have six arguments), got 6",
            "linux.seccomp.syscalls[3].args[2].op: unknown seccomp operator \"SCMP_CMP_SAME\"",
        ])
        assertAccepts(spec {
            var rule = LinuxSyscall(names: ["clone"], action: "SCMP_ACT_ERRNO")
            rule.args = KnownNames.seccompOperators.enumerated().map { arg(UInt($0.offset % 6), $0.element) }
            $0.syscalls!.append(rule)
        })
    }

    func testNotifyNeedsListenerPath() {
        let notify = LinuxSyscall(names: ["mkdir"], action: "SCMP_ACT_NOTIFY")
        assertRejects(spec { $0.syscalls!.append(notify) }, "linux.seccomp.listenerPath: is required when SCMP_ACT_NOTIFY is used")
        assertAccepts(spec { $0.syscalls!.append(notify); $0.listenerPath = "/run/agent.sock"; $0.listenerMetadata = "x" })
        let unused = spec { $0.listenerPath = "/run/agent.sock" }
        assertAccepts(unused)
        XCTAssertEqual(warningLines(unused), ["linux.seccomp.listenerPath: ignored: no rule uses SCMP_ACT_NOTIFY"])
        assertRejects(spec { $0.listenerMetadata = "meta" }, "linux.seccomp.listenerMetadata: must not be set without listenerPath")
        assertRejects(spec { $0.syscalls = [LinuxSyscall(names: ["read", "write"], action: "SCMP_ACT_NOTIFY")]; $0.listenerPath = "/s" },
                      "linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for the write syscall")
    }
}
