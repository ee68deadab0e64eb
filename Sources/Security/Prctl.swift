// prctl options this target uses. Glibc's Swift module does not carry <sys/prctl.h>'s
// constants; these are fixed by the kernel ABI (include/uapi/linux/prctl.h).
import CCap
import Linux

enum PrctlOption {
    static let setKeepCaps: Int32 = 8
    static let capabilityBoundingDrop: Int32 = 24
    static let setNoNewPrivileges: Int32 = 38
    static let getNoNewPrivileges: Int32 = 39
    static let capabilityAmbient: Int32 = 47
    static let ambientClearAll = 4
}

/// PR_SET_NO_NEW_PRIVS (process.noNewPrivileges): execve can no longer grant privileges
/// (setuid bits, file capabilities), and seccomp filters load without CAP_SYS_ADMIN.
public func setNoNewPrivileges() throws {
    try prctl("prctl(PR_SET_NO_NEW_PRIVS, 1)", PrctlOption.setNoNewPrivileges, 1)
}

/// Whether no_new_privs is set on the calling thread.
public func hasNoNewPrivileges() throws -> Bool {
    let rc = cap_prctl(Int(PrctlOption.getNoNewPrivileges), 0, 0, 0, 0, 0)
    if rc < 0 { throw SyscallError("prctl(PR_GET_NO_NEW_PRIVS)") }
    return rc == 1
}

/// prctl through libcap's non-variadic wrapper (Swift cannot call variadic C functions).
func prctl(_ operation: String, _ option: Int32, _ argument: Int) throws {
    if cap_prctl(Int(option), argument, 0, 0, 0, 0) != 0 { throw SyscallError(operation) }
}
