// Runs in init, just before exec: one seccomp(2) call, no allocation of threads, no libseccomp.
//
// Where init calls it matters (runc's order): without no_new_privs, loading a filter needs
// CAP_SYS_ADMIN, so it has to happen before capabilities are dropped; with no_new_privs it
// should come as late as possible, right before execve, so the filter sees the fewest of
// init's own syscalls. Either way the filter must allow execve and whatever init does after.
import CShims
import Glibc
import Linux

public enum SeccompLoader {
    /// Loads `program` into the calling thread. Returns the notification listener fd (close on
    /// exec) when the program uses SCMP_ACT_NOTIFY, nil otherwise; nothing happens for an
    /// empty program.
    public static func load(_ program: SeccompProgram) throws -> Int32? {
        if program.isEmpty { return nil }
        let flags = program.flags | (program.usesNotify ? SeccompFlag.newListener : 0)
        let count = UInt16(program.instructionCount)
        let result = try check("seccomp(SECCOMP_SET_MODE_FILTER, flags=0x\(String(flags, radix: 16)))") {
            program.bpf.withUnsafeBytes { swiftlet_seccomp_set_filter(flags, $0.baseAddress, count) }
        }
        return program.usesNotify ? result : nil
    }
}
