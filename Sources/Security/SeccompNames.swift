// The names config.json uses for seccomp actions, operators, architectures and flags, and the
// values libseccomp and the kernel use for them. One table per kind, so `features` and the
// compiler cannot disagree.
import CSeccomp
import CShims
import Glibc

enum SeccompAction: Equatable {
    case killThread, killProcess, trap, errno(UInt16), trace(UInt16), allow, log, notify

    /// The names of the runtime spec. SCMP_ACT_KILL is libseccomp's alias of KILL_THREAD.
    static let names = [
        "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
        "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP",
    ]

    /// `errnoRet` only matters for ERRNO and TRACE; both default to EPERM like runc.
    init?(name: String, errnoRet: UInt16?) {
        switch name {
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": self = .killThread
        case "SCMP_ACT_KILL_PROCESS": self = .killProcess
        case "SCMP_ACT_TRAP": self = .trap
        case "SCMP_ACT_ERRNO": self = .errno(errnoRet ?? UInt16(EPERM))
        case "SCMP_ACT_TRACE": self = .trace(errnoRet ?? UInt16(EPERM))
        case "SCMP_ACT_ALLOW": self = .allow
        case "SCMP_ACT_LOG": self = .log
        case "SCMP_ACT_NOTIFY": self = .notify
        default: return nil
        }
    }

    /// The SECCOMP_RET_* value a filter returns (libseccomp's SCMP_ACT_* are the same numbers).
    var value: UInt32 {
        switch self {
        case .killThread: return 0x0000_0000
        case .killProcess: return 0x8000_0000
        case .trap: return 0x0003_0000
        case .errno(let code): return 0x0005_0000 | UInt32(code)
        case .trace(let code): return 0x7ff0_0000 | UInt32(code)
        case .log: return 0x7ffc_0000
        case .allow: return 0x7fff_0000
        case .notify: return 0x7fc0_0000
        }
    }

    /// Actions that let an unknown syscall through in some form; a filter defaulting to one of
    /// them gets no -ENOSYS prologue (a tracer handles new syscalls itself).
    var isPermissive: Bool {
        switch self {
        case .allow, .log, .trace: return true
        default: return false
        }
    }
}

enum SeccompOperator {
    static let table: [(name: String, op: scmp_compare)] = [
        ("SCMP_CMP_NE", SCMP_CMP_NE), ("SCMP_CMP_LT", SCMP_CMP_LT), ("SCMP_CMP_LE", SCMP_CMP_LE),
        ("SCMP_CMP_EQ", SCMP_CMP_EQ), ("SCMP_CMP_GE", SCMP_CMP_GE), ("SCMP_CMP_GT", SCMP_CMP_GT),
        ("SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ),
    ]

    static func resolve(_ name: String) -> scmp_compare? {
        table.first { $0.name == name }?.op
    }
}

enum SeccompArchitecture {
    /// Spec name to libseccomp's name; the token comes from seccomp_arch_resolve_name so a
    /// libseccomp that lacks an architecture is noticed instead of guessed.
    static let table: [(name: String, libseccompName: String)] = [
        ("SCMP_ARCH_X86", "x86"), ("SCMP_ARCH_X86_64", "x86_64"), ("SCMP_ARCH_X32", "x32"),
        ("SCMP_ARCH_ARM", "arm"), ("SCMP_ARCH_AARCH64", "aarch64"), ("SCMP_ARCH_MIPS", "mips"),
        ("SCMP_ARCH_MIPS64", "mips64"), ("SCMP_ARCH_MIPS64N32", "mips64n32"),
        ("SCMP_ARCH_MIPSEL", "mipsel"), ("SCMP_ARCH_MIPSEL64", "mipsel64"),
        ("SCMP_ARCH_MIPSEL64N32", "mipsel64n32"), ("SCMP_ARCH_PPC", "ppc"),
        ("SCMP_ARCH_PPC64", "ppc64"), ("SCMP_ARCH_PPC64LE", "ppc64le"),
        ("SCMP_ARCH_S390", "s390"), ("SCMP_ARCH_S390X", "s390x"),
        ("SCMP_ARCH_PARISC", "parisc"), ("SCMP_ARCH_PARISC64", "parisc64"),
        ("SCMP_ARCH_RISCV64", "riscv64"), ("SCMP_ARCH_LOONGARCH64", "loongarch64"),
    ]

    enum Resolution { case token(UInt32), unknownName, unsupportedByLibseccomp }

    static func resolve(_ name: String) -> Resolution {
        guard let entry = table.first(where: { $0.name == name }) else { return .unknownName }
        let token = seccomp_arch_resolve_name(entry.libseccompName)
        return token == 0 ? .unsupportedByLibseccomp : .token(token)
    }

    /// The names this libseccomp can build filters for.
    static var supportedNames: [String] {
        table.filter { seccomp_arch_resolve_name($0.libseccompName) != 0 }.map(\.name)
    }
}

enum SeccompFlag {
    /// Spec name to the seccomp(2) flag bit. TSYNC is accepted and ignored like runc does: init
    /// is single-threaded and exec ends every other thread anyway.
    static let table: [(name: String, bit: UInt32)] = [
        ("SECCOMP_FILTER_FLAG_TSYNC", 0),
        ("SECCOMP_FILTER_FLAG_LOG", UInt32(SWIFTLET_SECCOMP_FILTER_FLAG_LOG)),
        ("SECCOMP_FILTER_FLAG_SPEC_ALLOW", UInt32(SWIFTLET_SECCOMP_FILTER_FLAG_SPEC_ALLOW)),
        ("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
         UInt32(SWIFTLET_SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)),
    ]
    static let newListener = UInt32(SWIFTLET_SECCOMP_FILTER_FLAG_NEW_LISTENER)
    static let waitKillableRecv = UInt32(SWIFTLET_SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
    static let specAllow = UInt32(SWIFTLET_SECCOMP_FILTER_FLAG_SPEC_ALLOW)

    static func bit(_ name: String) -> UInt32? {
        table.first { $0.name == name }?.bit
    }

    /// Whether the running kernel accepts the flag. WAIT_KILLABLE_RECV is only valid together
    /// with NEW_LISTENER, so it is probed that way.
    static func kernelSupports(_ bit: UInt32) -> Bool {
        if bit == 0 { return true }
        let probe = bit == waitKillableRecv ? bit | newListener : bit
        return swiftlet_seccomp_flags_supported(probe) == 1
    }
}
