// Runs in the parent: turns `linux.seccomp` into the BPF program init loads. libseccomp builds
// the filter, we export its BPF and put our -ENOSYS prologue in front (see
// SeccompEnosysPrologue.swift). libseccomp never loads anything here: loading is init's job.
import CSeccomp
import CShims
import Glibc
import Linux
import OCISpec

public enum SeccompCompiler {
    /// The program for `spec`; `.none` when the spec disables seccomp (no default action, no
    /// syscalls). Throws SecurityConfigError naming the JSON path of a bad value, or
    /// SyscallError when libseccomp or the kernel fails.
    public static func compile(_ spec: LinuxSeccomp) throws -> SeccompProgram {
        if SeccompPlan.isDisabled(spec) { return .none }
        let plan = try SeccompPlan(spec)
        let filter = try SeccompFilter(plan)
        let body = try filter.exportBPF()
        let prologue = SeccompEnosysPrologue.instructions(for: plan)
        let program = prologue + body
        // sock_fprog counts instructions in 16 bits and the kernel stops at BPF_MAXINSNS.
        guard program.count / 8 <= 4096 else {
            throw SecurityConfigError("linux.seccomp", "filter has \(program.count / 8) BPF instructions, the kernel allows 4096")
        }
        return SeccompProgram(bpf: program, flags: plan.flags, usesNotify: plan.usesNotify)
    }

    /// libseccomp's pseudo-filter-code text of the filter (without our prologue): readable
    /// rules for `--debug` output and tests.
    public static func pseudoCode(_ spec: LinuxSeccomp) throws -> String {
        let filter = try SeccompFilter(try SeccompPlan(spec))
        return String(decoding: try filter.exportPFC(), as: UTF8.self)
    }
}

/// One libseccomp filter context, released when this goes away.
final class SeccompFilter {
    private let context: scmp_filter_ctx

    init(_ plan: SeccompPlan) throws {
        guard let context = seccomp_init(plan.defaultAction.value) else {
            throw SyscallError("seccomp_init", errno: EINVAL)
        }
        self.context = context
        // no_new_privs is the runtime's own decision (process.noNewPrivileges).
        try attribute(SCMP_FLTATR_CTL_NNP, 0, "SCMP_FLTATR_CTL_NNP")
        // libseccomp's binary tree pays off on long lists; runc's threshold, and below it
        // libseccomp <= 2.5.4 can misbehave with zero rules.
        if plan.rules.count > 32 { _ = seccomp_attr_set(context, SCMP_FLTATR_CTL_OPTIMIZE, 2) }

        for token in plan.architectures {
            let rc = seccomp_arch_add(context, token)
            // The native architecture is in every new filter already.
            if rc != 0 && rc != -EEXIST { throw SyscallError("seccomp_arch_add", path: archName(token), errno: -rc) }
        }
        for rule in plan.rules {
            for conditions in rule.conditionSets {
                let rc = conditions.withUnsafeBufferPointer { buffer in
                    seccomp_rule_add_array(context, rule.action.value, rule.number, UInt32(buffer.count), buffer.baseAddress)
                }
                if rc != 0 {
                    throw SecurityConfigError(rule.path, "adding a rule for syscall \(quoted(rule.syscall)): \(errnoDescription(-rc))")
                }
            }
        }
    }

    deinit { seccomp_release(context) }

    private func attribute(_ attr: scmp_filter_attr, _ value: UInt32, _ name: String) throws {
        let rc = seccomp_attr_set(context, attr, value)
        if rc != 0 { throw SyscallError("seccomp_attr_set", path: name, errno: -rc) }
    }

    func exportBPF() throws -> [UInt8] {
        try exportThroughMemfd("seccomp_export_bpf") { seccomp_export_bpf(context, $0) }
    }

    func exportPFC() throws -> [UInt8] {
        try exportThroughMemfd("seccomp_export_pfc") { seccomp_export_pfc(context, $0) }
    }
}

private func archName(_ token: UInt32) -> String {
    "0x" + String(token, radix: 16)
}

/// libseccomp 2.5 exports only to a file descriptor; a memfd keeps it off any filesystem.
private func exportThroughMemfd(_ operation: String, _ export: (Int32) -> Int32) throws -> [UInt8] {
    let fd = try check("memfd_create", path: "seccomp-export") { swiftlet_seccomp_export_memfd() }
    defer { close(fd) }
    let rc = export(fd)
    if rc != 0 { throw SyscallError(operation, errno: -rc) }
    let size = lseek(fd, 0, SEEK_CUR)
    if size < 0 { throw SyscallError("lseek", path: "seccomp-export") }
    var bytes = [UInt8](repeating: 0, count: Int(size))
    var done = 0
    while done < bytes.count {
        let got = bytes.withUnsafeMutableBytes { buffer in
            pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(done))
        }
        if got < 0 && errno == EINTR { continue }
        if got <= 0 { throw SyscallError("pread", path: "seccomp-export", errno: got < 0 ? errno : EIO) }
        done += got
    }
    return bytes
}
