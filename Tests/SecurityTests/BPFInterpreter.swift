// A classic-BPF interpreter for the subset seccomp programs use, so tests can run a compiled
// filter against a syscall without loading it into (and poisoning) the test process.
import XCTest

struct SeccompData {
    var nr: Int32
    var arch: UInt32
    var instructionPointer: UInt64 = 0
    var args: [UInt64] = [0, 0, 0, 0, 0, 0]

    /// The bytes of struct seccomp_data, little endian (x86_64).
    var bytes: [UInt8] {
        var out: [UInt8] = []
        withUnsafeBytes(of: nr) { out += $0 }
        withUnsafeBytes(of: arch) { out += $0 }
        withUnsafeBytes(of: instructionPointer) { out += $0 }
        for arg in args { withUnsafeBytes(of: arg) { out += $0 } }
        return out
    }
}

enum BPFError: Error { case badInstruction(Int, UInt16), fellOffEnd, badLoad(UInt32) }

func runBPF(_ program: [UInt8], on data: SeccompData) throws -> UInt32 {
    let input = data.bytes
    func word(_ offset: UInt32) throws -> UInt32 {
        guard offset % 4 == 0, Int(offset) + 4 <= input.count else { throw BPFError.badLoad(offset) }
        return input[Int(offset)..<Int(offset) + 4].enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
    }
    let count = program.count / 8
    var a: UInt32 = 0, x: UInt32 = 0
    var memory = [UInt32](repeating: 0, count: 16)
    var pc = 0
    var steps = 0
    while pc < count {
        steps += 1
        precondition(steps < 100_000)
        let base = pc * 8
        let code = UInt16(program[base]) | UInt16(program[base + 1]) << 8
        let jt = Int(program[base + 2]), jf = Int(program[base + 3])
        let k = program[(base + 4)..<(base + 8)].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
        pc += 1
        switch code {
        case 0x20: a = try word(k)                          // ld [k]
        case 0x00: a = k                                    // ld #k
        case 0x01: x = k                                    // ldx #k
        case 0x60: a = memory[Int(k)]                       // ld M[k]
        case 0x61: x = memory[Int(k)]                       // ldx M[k]
        case 0x02: memory[Int(k)] = a                       // st M[k]
        case 0x03: memory[Int(k)] = x                       // stx M[k]
        case 0x54: a &= k                                   // and #k
        case 0x5c: a &= x                                   // and x
        case 0x44: a |= k                                   // or #k
        case 0x04: a &+= k                                  // add #k
        case 0x14: a &-= k                                  // sub #k
        case 0x87: a = x                                    // txa
        case 0x07: x = a                                    // tax
        case 0x05: pc += Int(k)                             // ja
        case 0x15: pc += a == k ? jt : jf                   // jeq #k
        case 0x25: pc += a > k ? jt : jf                    // jgt #k
        case 0x35: pc += a >= k ? jt : jf                   // jge #k
        case 0x45: pc += a & k != 0 ? jt : jf               // jset #k
        case 0x1d: pc += a == x ? jt : jf                   // jeq x
        case 0x2d: pc += a > x ? jt : jf                    // jgt x
        case 0x3d: pc += a >= x ? jt : jf                   // jge x
        case 0x4d: pc += a & x != 0 ? jt : jf               // jset x
        case 0x06: return k                                 // ret #k
        case 0x16: return a                                 // ret a
        default: throw BPFError.badInstruction(pc - 1, code)
        }
    }
    throw BPFError.fellOffEnd
}
