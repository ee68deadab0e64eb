// A few BPF instructions put in front of libseccomp's program so that a syscall newer than
// every syscall the profile names fails with ENOSYS instead of the default action. Programs
// probe new syscalls (clone3, openat2, ...) and fall back on ENOSYS, but treat EPERM as a real
// failure. runc does the same, with the same limits: "newer" means "a larger number than the
// largest named one" on that architecture, which is a heuristic the syscall tables make true
// almost everywhere.
import CSeccomp
import Glibc

enum SeccompEnosysPrologue {
    /// The largest named syscall number per architecture mode sharing one AUDIT_ARCH value.
    /// x86_64 and x32 share AUDIT_ARCH_X86_64 and differ by bit 30 of the syscall number.
    struct Group: Equatable {
        var auditArch: UInt32
        var largest: UInt32?
        var largestX32: UInt32?
        var isS390 = false
    }

    static let x32SyscallBit: UInt32 = 0x4000_0000

    static func instructions(for plan: SeccompPlan) -> [UInt8] {
        if plan.defaultAction.isPermissive { return [] }
        // A filter that already answers ENOSYS by default gains nothing.
        if plan.defaultErrnoRet == UInt(ENOSYS) { return [] }
        let groups = groups(architectures: plan.architectures, syscalls: plan.syscallNames)
        return groups.isEmpty ? [] : assemble(groups)
    }

    static func groups(architectures: [UInt32], syscalls: [String]) -> [Group] {
        let native = seccomp_arch_native()
        let x32 = seccomp_arch_resolve_name("x32")
        let x8664 = seccomp_arch_resolve_name("x86_64")
        let s390 = [seccomp_arch_resolve_name("s390"), seccomp_arch_resolve_name("s390x")]
        // The native architecture is in every filter, listed or not (Docker's profiles omit
        // it on some architectures).
        var tokens = [native]
        for token in architectures where !tokens.contains(token) { tokens.append(token) }

        var groups: [Group] = []
        for token in tokens {
            var largest: Int32 = 0
            for name in syscalls {
                // Negative numbers are libseccomp's pseudo syscalls (socketcall multiplexing).
                largest = max(largest, seccomp_syscall_resolve_name_arch(token, name))
            }
            if largest <= 0 { continue }
            let auditArch = token == x32 ? x8664 : token
            var group = groups.first { $0.auditArch == auditArch } ?? Group(auditArch: auditArch)
            if token == x32 { group.largestX32 = UInt32(largest) } else { group.largest = UInt32(largest) }
            group.isS390 = s390.contains(token)
            if let index = groups.firstIndex(where: { $0.auditArch == auditArch }) {
                groups[index] = group
            } else {
                groups.append(group)
            }
        }
        return groups
    }

    // cBPF encodings (linux/bpf_common.h).
    private static let loadWordAbsolute: UInt16 = 0x20
    private static let jumpAlways: UInt16 = 0x05
    private static let jumpEqual: UInt16 = 0x15
    private static let jumpGreater: UInt16 = 0x25
    private static let jumpSet: UInt16 = 0x45
    private static let returnConstant: UInt16 = 0x06
    private static let offsetNr: UInt32 = 0      // seccomp_data.nr
    private static let offsetArch: UInt32 = 4    // seccomp_data.arch

    private enum Target: Equatable { case enosys, filter, label(Int) }

    /// Every conditional jump here has jt 0 / jf 1 and is followed by an unconditional jump
    /// with a 32-bit offset: no 255-instruction limit to work around, at one instruction
    /// per test.
    private struct Assembler {
        var code: [(code: UInt16, k: UInt32, jf: UInt8, target: Target?)] = []
        var labels: [Int: Int] = [:]

        mutating func emit(_ op: UInt16, _ k: UInt32 = 0, jumpFalse: UInt8 = 0) {
            code.append((op, k, jumpFalse, nil))
        }
        mutating func jump(_ target: Target) { code.append((jumpAlways, 0, 0, target)) }
        /// Goes to `target` when `op k` holds, falls through otherwise.
        mutating func branch(_ op: UInt16, _ k: UInt32, to target: Target) {
            emit(op, k, jumpFalse: 1)
            jump(target)
        }
        mutating func place(_ label: Int) { labels[label] = code.count }

        func bytes() -> [UInt8] {
            let enosysIndex = code.count - 1
            var out: [UInt8] = []
            out.reserveCapacity(code.count * 8)
            for (index, insn) in code.enumerated() {
                var k = insn.k
                if let target = insn.target {
                    let destination: Int
                    switch target {
                    case .enosys: destination = enosysIndex
                    case .filter: destination = code.count
                    case .label(let label): destination = labels[label]!
                    }
                    k = UInt32(destination - index - 1)
                }
                withUnsafeBytes(of: insn.code) { out += $0 }
                out.append(0)
                out.append(insn.jf)
                withUnsafeBytes(of: k) { out += $0 }
            }
            return out
        }
    }

    private static func assemble(_ groups: [Group]) -> [UInt8] {
        var asm = Assembler()
        var nextLabel = 0
        func newLabel() -> Int { nextLabel += 1; return nextLabel }

        asm.emit(loadWordAbsolute, offsetArch)
        let sections = groups.map { _ in newLabel() }
        for (group, section) in zip(groups, sections) {
            asm.branch(jumpEqual, group.auditArch, to: .label(section))
        }
        asm.jump(.filter)

        for (group, section) in zip(groups, sections) {
            asm.place(section)
            asm.emit(loadWordAbsolute, offsetNr)
            // s390 turns an unknown large syscall number into 0 (the long-gone setup(2)).
            if group.isS390 { asm.branch(jumpEqual, 0, to: .enosys) }
            if group.largestX32 != nil || group.auditArch == seccomp_arch_resolve_name("x86_64") {
                let x32Part = newLabel()
                asm.branch(jumpSet, x32SyscallBit, to: group.largestX32 == nil ? .filter : .label(x32Part))
                limit(&asm, group.largest)
                asm.place(x32Part)
                limit(&asm, group.largestX32)
            } else {
                limit(&asm, group.largest)
            }
        }
        asm.emit(returnConstant, SeccompAction.errno(UInt16(ENOSYS)).value)
        return asm.bytes()
    }

    /// Syscall numbers above `largest` get ENOSYS, the rest go to libseccomp's program.
    private static func limit(_ asm: inout Assembler, _ largest: UInt32?) {
        if let largest { asm.branch(jumpGreater, largest, to: .enosys) }
        asm.jump(.filter)
    }
}
