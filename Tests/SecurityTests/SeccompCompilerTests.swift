import OCISpec
import XCTest
@testable import Security

#if arch(x86_64)
private let x8664: UInt32 = 0xc000_003e
private let i386: UInt32 = 0x4000_0003
private let nrRead: Int32 = 0, nrWrite: Int32 = 1, nrGetpid: Int32 = 39, nrPersonality: Int32 = 135
private let nrClone3: Int32 = 435

private let allow: UInt32 = 0x7fff_0000
private func errno(_ code: Int32) -> UInt32 { 0x0005_0000 | UInt32(code) }

func seccomp(_ defaultAction: String, _ syscalls: [LinuxSyscall] = [], flags: [String]? = [],
             architectures: [String]? = nil) -> LinuxSeccomp {
    var spec = LinuxSeccomp()
    spec.defaultAction = defaultAction
    spec.syscalls = syscalls
    spec.flags = flags
    spec.architectures = architectures
    return spec
}

func rule(_ names: [String], _ action: String, errnoRet: UInt? = nil, args: [(UInt, UInt64, UInt64?, String)] = []) -> LinuxSyscall {
    var call = LinuxSyscall(names: names, action: action)
    call.errnoRet = errnoRet
    if !args.isEmpty {
        call.args = args.map { index, value, valueTwo, op in
            var arg = LinuxSeccompArg()
            arg.index = index
            arg.value = value
            arg.valueTwo = valueTwo
            arg.op = op
            return arg
        }
    }
    return call
}

private func evaluate(_ program: SeccompProgram, _ nr: Int32, arch: UInt32 = x8664, args: [UInt64] = []) throws -> UInt32 {
    var data = SeccompData(nr: nr, arch: arch)
    for (index, value) in args.enumerated() { data.args[index] = value }
    return try runBPF(program.bpf, on: data)
}

private func assertConfigError(_ spec: LinuxSeccomp, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try SeccompCompiler.compile(spec), file: file, line: line) { error in
        XCTAssertEqual("\(error)", expected, file: file, line: line)
    }
}

final class SeccompCompilerTests: XCTestCase {
    func testEveryActionCompilesToADistinctProgram() throws {
        let actions = ["SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
                       "SCMP_ACT_TRACE", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"]
        var programs: [String: [UInt8]] = [:]
        for action in actions {
            let program = try SeccompCompiler.compile(seccomp("SCMP_ACT_ALLOW", [rule(["getpid"], action)]))
            XCTAssertFalse(program.isEmpty, action)
            XCTAssertEqual(program.bpf.count % 8, 0, action)
            XCTAssertEqual(program.usesNotify, action == "SCMP_ACT_NOTIFY", action)
            programs[action] = program.bpf
        }
        // KILL is libseccomp's alias of KILL_THREAD; every other action is its own program.
        let distinct = Set(programs.values)
        XCTAssertEqual(distinct.count, actions.count)
    }

    func testActionsReachTheFilterResult() throws {
        let expected: [(String, UInt?, UInt32)] = [
            ("SCMP_ACT_KILL", nil, 0), ("SCMP_ACT_KILL_THREAD", nil, 0), ("SCMP_ACT_KILL_PROCESS", nil, 0x8000_0000),
            ("SCMP_ACT_TRAP", nil, 0x0003_0000), ("SCMP_ACT_ERRNO", nil, errno(EPERM)),
            ("SCMP_ACT_ERRNO", 38, errno(38)), ("SCMP_ACT_TRACE", nil, 0x7ff0_0000 | UInt32(EPERM)),
            ("SCMP_ACT_TRACE", 7, 0x7ff0_0007), ("SCMP_ACT_LOG", nil, 0x7ffc_0000), ("SCMP_ACT_NOTIFY", nil, 0x7fc0_0000),
        ]
        for (action, errnoRet, result) in expected {
            let program = try SeccompCompiler.compile(seccomp("SCMP_ACT_ALLOW", [rule(["getpid"], action, errnoRet: errnoRet)]))
            XCTAssertEqual(try evaluate(program, nrGetpid), result, action)
            XCTAssertEqual(try evaluate(program, nrRead), allow, action)
        }
    }

    func testDefaultActionAndDefaultErrnoRet() throws {
        let program = try SeccompCompiler.compile(seccomp("SCMP_ACT_ERRNO", [rule(["read", "getpid"], "SCMP_ACT_ALLOW")]))
        XCTAssertEqual(try evaluate(program, nrRead), allow)
        XCTAssertEqual(try evaluate(program, nrWrite), errno(EPERM))
        var spec = seccomp("SCMP_ACT_ERRNO", [rule(["read", "getpid"], "SCMP_ACT_ALLOW")])
        spec.defaultErrnoRet = UInt(EACCES)
        XCTAssertEqual(try evaluate(try SeccompCompiler.compile(spec), nrWrite), errno(EACCES))
    }

    func testOperators() throws {
        // (op, value, valueTwo, matching argument, non-matching argument)
        let cases: [(String, UInt64, UInt64?, UInt64, UInt64)] = [
            ("SCMP_CMP_EQ", 5, nil, 5, 6), ("SCMP_CMP_NE", 5, nil, 6, 5), ("SCMP_CMP_LT", 5, nil, 4, 5),
            ("SCMP_CMP_LE", 5, nil, 5, 6), ("SCMP_CMP_GE", 5, nil, 5, 4), ("SCMP_CMP_GT", 5, nil, 6, 5),
            ("SCMP_CMP_MASKED_EQ", 0xff00, 0x1200, 0x12ab, 0x13ab),
            // 64-bit values compare on both halves.
            ("SCMP_CMP_EQ", 0x1_0000_0002, nil, 0x1_0000_0002, 0x2),
        ]
        var pseudo: [String] = []
        for (op, value, valueTwo, hit, miss) in cases {
            let spec = seccomp("SCMP_ACT_ALLOW", [rule(["personality"], "SCMP_ACT_ERRNO", args: [(0, value, valueTwo, op)])])
            let program = try SeccompCompiler.compile(spec)
            XCTAssertEqual(try evaluate(program, nrPersonality, args: [hit]), errno(EPERM), "\(op) \(hit)")
            XCTAssertEqual(try evaluate(program, nrPersonality, args: [miss]), allow, "\(op) \(miss)")
            pseudo.append(try SeccompCompiler.pseudoCode(spec))
        }
        XCTAssertEqual(Set(pseudo).count, cases.count)
    }

    func testConditionsOnDistinctArgumentsAllHaveToHold() throws {
        let spec = seccomp("SCMP_ACT_ALLOW", [rule(["personality"], "SCMP_ACT_ERRNO",
                                                   args: [(0, 1, nil, "SCMP_CMP_EQ"), (1, 2, nil, "SCMP_CMP_EQ")])])
        let program = try SeccompCompiler.compile(spec)
        XCTAssertEqual(try evaluate(program, nrPersonality, args: [1, 2]), errno(EPERM))
        XCTAssertEqual(try evaluate(program, nrPersonality, args: [1, 3]), allow)
        XCTAssertEqual(try evaluate(program, nrPersonality, args: [0, 2]), allow)
    }

    func testConditionsSharingAnIndexAreAlternatives() throws {
        // runc's meaning: one rule per condition, so either value matches.
        let spec = seccomp("SCMP_ACT_ALLOW", [rule(["personality"], "SCMP_ACT_ERRNO",
                                                   args: [(0, 1, nil, "SCMP_CMP_EQ"), (0, 2, nil, "SCMP_CMP_EQ")])])
        let program = try SeccompCompiler.compile(spec)
        XCTAssertEqual(try evaluate(program, nrPersonality, args: [1]), errno(EPERM))
        XCTAssertEqual(try evaluate(program, nrPersonality, args: [2]), errno(EPERM))
        XCTAssertEqual(try evaluate(program, nrPersonality, args: [3]), allow)
    }

    func testPseudoCodeShowsRules() throws {
        let text = try SeccompCompiler.pseudoCode(seccomp("SCMP_ACT_ALLOW", [rule(["mkdir"], "SCMP_ACT_ERRNO", errnoRet: 13)]))
        XCTAssertTrue(text.contains("\"mkdir\""), text)
        XCTAssertTrue(text.contains("ERRNO(13)"), text)
        XCTAssertTrue(text.contains("action ALLOW"), text)
    }

    func testUnknownSyscallIsSkipped() throws {
        let spec = seccomp("SCMP_ACT_ALLOW", [rule(["no_such_syscall", "getpid"], "SCMP_ACT_ERRNO")])
        let program = try SeccompCompiler.compile(spec)
        XCTAssertEqual(try evaluate(program, nrGetpid), errno(EPERM))
        XCTAssertFalse(try SeccompCompiler.pseudoCode(spec).contains("no_such_syscall"))
    }

    func testRuleRepeatingTheDefaultActionIsSkipped() throws {
        let plain = try SeccompCompiler.compile(seccomp("SCMP_ACT_ERRNO", [rule(["read", "getpid"], "SCMP_ACT_ALLOW")]))
        let repeated = try SeccompCompiler.compile(seccomp("SCMP_ACT_ERRNO", [rule(["read", "getpid"], "SCMP_ACT_ALLOW"),
                                                                               rule(["close"], "SCMP_ACT_ERRNO")]))
        XCTAssertEqual(plain.bpf, repeated.bpf)
        // A different errno is a different action, so that rule stays.
        let other = try SeccompCompiler.compile(seccomp("SCMP_ACT_ERRNO", [rule(["getpid"], "SCMP_ACT_ERRNO", errnoRet: 5)]))
        XCTAssertEqual(try evaluate(other, nrGetpid), errno(5))
    }

    func testEnosysForSyscallsNewerThanTheProfile() throws {
        let program = try SeccompCompiler.compile(seccomp("SCMP_ACT_ERRNO", [rule(["read", "getpid"], "SCMP_ACT_ALLOW")]))
        XCTAssertEqual(try evaluate(program, nrGetpid), allow)
        XCTAssertEqual(try evaluate(program, nrWrite), errno(EPERM), "known, not allowed")
        XCTAssertEqual(try evaluate(program, nrGetpid + 1), errno(ENOSYS), "newer than the profile")
        XCTAssertEqual(try evaluate(program, nrClone3), errno(ENOSYS))
        // x32 calls on x86_64 are not covered by an x86_64-only filter: libseccomp's bad
        // architecture action (kill) applies, not ENOSYS.
        XCTAssertEqual(try evaluate(program, 0x4000_0000 | nrRead), 0)
    }

    func testEnosysPerArchitecture() throws {
        // getpid is 20 on i386 and 39 on x86_64; personality is 136 and 135.
        let spec = seccomp("SCMP_ACT_ERRNO", [rule(["getpid"], "SCMP_ACT_ALLOW")], architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        let program = try SeccompCompiler.compile(spec)
        XCTAssertEqual(try evaluate(program, 20, arch: i386), allow)
        XCTAssertEqual(try evaluate(program, 21, arch: i386), errno(ENOSYS))
        XCTAssertEqual(try evaluate(program, 19, arch: i386), errno(EPERM))
        XCTAssertEqual(try evaluate(program, 39), allow)
        XCTAssertEqual(try evaluate(program, 40), errno(ENOSYS))
        XCTAssertEqual(try evaluate(program, 0x4000_0000 | 39), allow, "x32 getpid")
        XCTAssertEqual(try evaluate(program, 0x4000_0000 | 40), errno(ENOSYS), "x32 beyond getpid")
        // An architecture outside the filter gets libseccomp's bad-arch kill.
        XCTAssertEqual(try evaluate(program, 39, arch: 0xc000_00b7), 0)
    }

    func testNoEnosysPrologueWhenDefaultIsPermissiveOrEnosys() throws {
        let permissive = try SeccompCompiler.compile(seccomp("SCMP_ACT_LOG", [rule(["getpid"], "SCMP_ACT_ERRNO")]))
        XCTAssertEqual(try evaluate(permissive, nrClone3), 0x7ffc_0000)
        var spec = seccomp("SCMP_ACT_ERRNO", [rule(["getpid"], "SCMP_ACT_ALLOW")])
        spec.defaultErrnoRet = UInt(ENOSYS)
        let plan = try SeccompPlan(spec)
        XCTAssertTrue(SeccompEnosysPrologue.instructions(for: plan).isEmpty)
        spec.defaultErrnoRet = nil
        XCTAssertFalse(SeccompEnosysPrologue.instructions(for: try SeccompPlan(spec)).isEmpty)
    }

    func testDisabledSpecGivesTheEmptyProgram() throws {
        XCTAssertEqual(try SeccompCompiler.compile(LinuxSeccomp()), .none)
        XCTAssertNil(try SeccompLoader.load(.none))
    }

    func testFlags() throws {
        let rules = [rule(["getpid"], "SCMP_ACT_ERRNO")]
        XCTAssertEqual(try SeccompCompiler.compile(seccomp("SCMP_ACT_ALLOW", rules, flags: [])).flags, 0)
        // runc's default when `flags` is absent: SPEC_ALLOW if the kernel has it.
        let implied = try SeccompCompiler.compile(seccomp("SCMP_ACT_ALLOW", rules, flags: nil)).flags
        XCTAssertEqual(implied, SeccompFlag.kernelSupports(4) ? 4 : 0)
        XCTAssertEqual(try SeccompCompiler.compile(seccomp("SCMP_ACT_ALLOW", rules, flags: ["SECCOMP_FILTER_FLAG_TSYNC"])).flags, 0)
        if SeccompFlag.kernelSupports(2) {
            XCTAssertEqual(try SeccompCompiler.compile(seccomp("SCMP_ACT_ALLOW", rules, flags: ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"])).flags, 6)
        }
        assertConfigError(seccomp("SCMP_ACT_ALLOW", rules, flags: ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_BOGUS"]),
                          "linux.seccomp.flags[1]: unknown seccomp flag \"SECCOMP_FILTER_FLAG_BOGUS\"")
        if SeccompFlag.kernelSupports(32) {
            // Without a notify rule it has no meaning and is left out.
            XCTAssertEqual(try SeccompCompiler.compile(seccomp("SCMP_ACT_ALLOW", rules, flags: ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"])).flags, 0)
        } else {
            assertConfigError(seccomp("SCMP_ACT_ALLOW", rules, flags: ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]),
                              "linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not supported by the running kernel")
        }
        if SeccompFlag.kernelSupports(32) {
            let notify = try SeccompCompiler.compile(seccomp("SCMP_ACT_ALLOW", [rule(["getpid"], "SCMP_ACT_NOTIFY")],
                                                             flags: ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]))
            XCTAssertEqual(notify.flags, 32)
            XCTAssertTrue(notify.usesNotify)
        }
    }

    func testErrorsNameTheJSONPath() {
        assertConfigError(seccomp("SCMP_ACT_BOGUS"), "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_BOGUS\"")
        assertConfigError(seccomp("SCMP_ACT_NOTIFY", [rule(["getpid"], "SCMP_ACT_ALLOW")]),
                          "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be used as default action")
        assertConfigError(seccomp("SCMP_ACT_ALLOW", [rule(["read"], "SCMP_ACT_ERRNO"), rule(["getpid"], "X")]),
                          "linux.seccomp.syscalls[1].action: unknown action \"X\"")
        assertConfigError(seccomp("SCMP_ACT_ALLOW", [rule(["read"], "SCMP_ACT_ERRNO", args: [(0, 1, nil, "SCMP_CMP_EQ"), (1, 1, nil, "SCMP_CMP_XX")])]),
                          "linux.seccomp.syscalls[0].args[1].op: unknown operator \"SCMP_CMP_XX\"")
        assertConfigError(seccomp("SCMP_ACT_ALLOW", [rule(["read"], "SCMP_ACT_ERRNO", args: [(6, 1, nil, "SCMP_CMP_EQ")])]),
                          "linux.seccomp.syscalls[0].args[0].index: 6 is out of range (syscalls have 6 arguments)")
        assertConfigError(seccomp("SCMP_ACT_ALLOW", [rule(["read"], "SCMP_ACT_ERRNO")], architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_Z80"]),
                          "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_Z80\"")
        assertConfigError(seccomp("SCMP_ACT_ALLOW", [rule(["read", "write"], "SCMP_ACT_NOTIFY")]),
                          "linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for the write syscall")
        assertConfigError(seccomp("SCMP_ACT_ALLOW", [rule(["read", ""], "SCMP_ACT_ERRNO")]),
                          "linux.seccomp.syscalls[0].names[1]: empty syscall name")
        assertConfigError(seccomp("SCMP_ACT_ALLOW", [rule(["read"], "SCMP_ACT_ERRNO", errnoRet: 70000)]),
                          "linux.seccomp.syscalls[0].errnoRet: 70000 is out of range (at most 65535)")
    }

    func testSerializationRoundTrip() throws {
        let program = try SeccompCompiler.compile(seccomp("SCMP_ACT_ERRNO", [rule(["read"], "SCMP_ACT_ALLOW"), rule(["getpid"], "SCMP_ACT_NOTIFY")], flags: ["SECCOMP_FILTER_FLAG_LOG"]))
        let copy = try SeccompProgram(serialized: program.serialized)
        XCTAssertEqual(copy, program)
        XCTAssertTrue(copy.usesNotify)
        XCTAssertThrowsError(try SeccompProgram(serialized: Array(program.serialized.dropLast())))
        XCTAssertThrowsError(try SeccompProgram(serialized: [1, 2, 3]))
    }

    func testLongProfilesUseTheBinaryTreeAndStillMatch() throws {
        let names = ["read", "write", "open", "close", "stat", "fstat", "lstat", "poll", "lseek", "mmap", "mprotect",
                     "munmap", "brk", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "ioctl", "pread64", "pwrite64", "readv",
                     "writev", "access", "pipe", "select", "sched_yield", "mremap", "msync", "mincore", "madvise",
                     "shmget", "shmat", "shmctl", "dup", "dup2", "pause", "nanosleep", "getitimer", "alarm", "setitimer", "getpid"]
        let program = try SeccompCompiler.compile(seccomp("SCMP_ACT_ERRNO", names.map { rule([$0], "SCMP_ACT_ALLOW") }))
        for nr in Int32(0)...39 {
            XCTAssertEqual(try evaluate(program, nr), allow, "syscall \(nr)")
        }
        XCTAssertEqual(try evaluate(program, 40), errno(ENOSYS))
    }
}
#endif
