// Device access control on cgroup v2, which has no devices.* files: the kernel runs a
// BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup on every device open/mknod,
// and the program answers 1 (allow) or 0 (deny).
//
// The program is generated from the same DeviceEmulator state the v1 writer uses, so both
// versions grant exactly the same devices. Shape: load (type, access, major, minor) from the
// context, then one block per exception, then the default verdict.
// - An allow exception matches when the requested access is a subset of the rule's (the
//   kernel's v1 allow-list check).
// - A deny exception matches when the requested access overlaps the rule's (v1's deny-list
//   check, which refuses partial matches).

struct BPFInstruction: Equatable {
    var opcode: UInt8
    var dst: UInt8 = 0
    var src: UInt8 = 0
    var offset: Int16 = 0
    var immediate: Int32 = 0

    /// The kernel's struct bpf_insn, little-endian (registers: dst in the low nibble).
    var bytes: [UInt8] {
        let off = UInt16(bitPattern: offset)
        let imm = UInt32(bitPattern: immediate)
        return [opcode, (src << 4) | (dst & 0x0f), UInt8(off & 0xff), UInt8(off >> 8),
                UInt8(imm & 0xff), UInt8((imm >> 8) & 0xff), UInt8((imm >> 16) & 0xff), UInt8(imm >> 24)]
    }

    // The handful of opcodes the device program needs (linux/bpf_common.h, linux/bpf.h).
    static let loadWord: UInt8 = 0x61  // BPF_LDX | BPF_MEM | BPF_W: dst = *(u32 *)(src + off)
    static let and32Imm: UInt8 = 0x54  // BPF_ALU | BPF_AND | BPF_K
    static let rsh32Imm: UInt8 = 0x74  // BPF_ALU | BPF_RSH | BPF_K
    static let mov32Imm: UInt8 = 0xb4  // BPF_ALU | BPF_MOV | BPF_K
    static let mov32Reg: UInt8 = 0xbc  // BPF_ALU | BPF_MOV | BPF_X
    static let jumpNotEqualImm: UInt8 = 0x55  // BPF_JMP | BPF_JNE | BPF_K
    static let jumpNotEqualReg: UInt8 = 0x5d  // BPF_JMP | BPF_JNE | BPF_X
    static let jumpEqualImm: UInt8 = 0x15  // BPF_JMP | BPF_JEQ | BPF_K
    static let exit: UInt8 = 0x95  // BPF_JMP | BPF_EXIT
}

enum DeviceProgram {
    // struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }, access_type is
    // (access << 16) | type.
    static let typeBlock: Int32 = 1  // BPF_DEVCG_DEV_BLOCK
    static let typeChar: Int32 = 2  // BPF_DEVCG_DEV_CHAR
    static let accessMknod: Int32 = 1  // BPF_DEVCG_ACC_MKNOD
    static let accessRead: Int32 = 2  // BPF_DEVCG_ACC_READ
    static let accessWrite: Int32 = 4  // BPF_DEVCG_ACC_WRITE

    static func bpfAccess(_ access: DeviceAccess) -> Int32 {
        (access.contains(.read) ? accessRead : 0) | (access.contains(.write) ? accessWrite : 0)
            | (access.contains(.mknod) ? accessMknod : 0)
    }

    /// The program enforcing `emulator`'s state.
    static func instructions(for emulator: DeviceEmulator) throws -> [BPFInstruction] {
        typealias I = BPFInstruction
        // r2 = type, r3 = requested access, r4 = major, r5 = minor
        var program: [I] = [
            I(opcode: I.loadWord, dst: 2, src: 1, offset: 0),
            I(opcode: I.and32Imm, dst: 2, immediate: 0xffff),
            I(opcode: I.loadWord, dst: 3, src: 1, offset: 0),
            I(opcode: I.rsh32Imm, dst: 3, immediate: 16),
            I(opcode: I.loadWord, dst: 4, src: 1, offset: 4),
            I(opcode: I.loadWord, dst: 5, src: 1, offset: 8),
        ]
        let exceptionVerdict: Int32 = emulator.defaultAllow ? 0 : 1
        for match in emulator.exceptions.keys.sorted() {
            let access = emulator.exceptions[match]!
            // Each test jumps to the end of this block (the next block) on mismatch; the
            // offsets are filled in once the block's length is known.
            var block: [I] = []
            var exits: [Int] = []
            func skipUnless(_ instruction: I) {
                exits.append(block.count)
                block.append(instruction)
            }
            skipUnless(I(opcode: I.jumpNotEqualImm, dst: 2, immediate: match.kind == .block ? typeBlock : typeChar))
            if access != .all {
                block.append(I(opcode: I.mov32Reg, dst: 1, src: 3))
                block.append(I(opcode: I.and32Imm, dst: 1, immediate: bpfAccess(access)))
                if emulator.defaultAllow {
                    skipUnless(I(opcode: I.jumpEqualImm, dst: 1, immediate: 0))  // no overlap
                } else {
                    skipUnless(I(opcode: I.jumpNotEqualReg, dst: 1, src: 3))  // not a subset
                }
            }
            if let major = match.major {
                skipUnless(I(opcode: I.jumpNotEqualImm, dst: 4, immediate: try deviceNumber(major, "major")))
            }
            if let minor = match.minor {
                skipUnless(I(opcode: I.jumpNotEqualImm, dst: 5, immediate: try deviceNumber(minor, "minor")))
            }
            block.append(I(opcode: I.mov32Imm, dst: 0, immediate: exceptionVerdict))
            block.append(I(opcode: I.exit))
            for index in exits {
                block[index].offset = Int16(block.count - index - 1)
            }
            program += block
        }
        program.append(I(opcode: I.mov32Imm, dst: 0, immediate: emulator.defaultAllow ? 1 : 0))
        program.append(I(opcode: I.exit))
        return program
    }

    /// Jump immediates are sign-extended to 64 bits, so a number must fit in 31 bits (device
    /// majors have 12 and minors 20).
    private static func deviceNumber(_ value: Int64, _ name: String) throws -> Int32 {
        guard let number = Int32(exactly: value) else {
            throw CgroupError(field: "linux.resources.devices", "device \(name) number \(value) is out of range")
        }
        return number
    }

    /// Enforces `rules` (after an implicit "deny all") on the cgroup2 directory `cgroup`,
    /// replacing the device program a previous apply attached.
    static func install(_ rules: [DeviceRule], cgroup: String) throws {
        let target = try DeviceEmulator(rules: rules)
        let program = try instructions(for: target)
        try BPFDeviceFilter.attach(program, to: cgroup)
    }
}
