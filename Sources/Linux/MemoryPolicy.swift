// The NUMA memory policy of the calling thread (set_mempolicy(2)), inherited by its children
// and kept across execve.
#if canImport(Glibc)
import Glibc
#endif
import CShims

/// include/uapi/linux/mempolicy.h
public enum MemoryPolicyMode {
    public static let `default`: Int32 = 0
    public static let preferred: Int32 = 1
    public static let bind: Int32 = 2
    public static let interleave: Int32 = 3
    public static let local: Int32 = 4
    public static let preferredMany: Int32 = 5
    public static let weightedInterleave: Int32 = 6
}

public enum MemoryPolicyFlag {
    public static let numaBalancing: Int32 = 1 << 13
    public static let relativeNodes: Int32 = 1 << 14
    public static let staticNodes: Int32 = 1 << 15
}

public enum MemoryPolicy {
    /// `mode` may carry MemoryPolicyFlag bits; nil nodes passes no mask (MPOL_DEFAULT,
    /// MPOL_LOCAL, and MPOL_PREFERRED meaning "local").
    public static func set(mode: Int32, nodes: BitMask?) throws {
        let result: Int
        if let nodes, !nodes.isEmpty {
            // The kernel reads maxnode - 1 bits (mm/mempolicy.c get_nodes).
            result = nodes.words.withUnsafeBufferPointer { words in
                words.withMemoryRebound(to: UInt.self) { sl_set_mempolicy(mode, $0.baseAddress, UInt(nodes.bitCount + 1)) }
            }
        } else {
            result = sl_set_mempolicy(mode, nil, 0)
        }
        if result != 0 { throw SyscallError("set_mempolicy") }
    }

    /// The calling thread's mode (with its flags) and nodes.
    public static func current() throws -> (mode: Int32, nodes: BitMask) {
        var mode: Int32 = 0
        var words = [UInt64](repeating: 0, count: 16)
        let result = words.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: UInt.self) { sl_get_mempolicy(&mode, $0.baseAddress, UInt(16 * 64), nil, 0) }
        }
        if result != 0 { throw SyscallError("get_mempolicy") }
        return (mode, BitMask(words: words))
    }
}
