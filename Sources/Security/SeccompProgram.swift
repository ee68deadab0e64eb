// A compiled seccomp filter: what the parent hands to init over the sync pipe and init loads
// just before exec. Plain bytes, so init needs neither libseccomp nor the spec to load it.

public struct SeccompProgram: Equatable, Sendable {
    /// Classic BPF instructions as the kernel reads them (struct sock_filter, 8 bytes each,
    /// host byte order).
    public let bpf: [UInt8]
    /// seccomp(2) filter flags (LOG, SPEC_ALLOW, WAIT_KILLABLE_RECV). NEW_LISTENER is not among
    /// them: the loader adds it when `usesNotify`.
    public let flags: UInt32
    /// Whether a rule uses SCMP_ACT_NOTIFY, so loading returns a listener fd for the agent.
    public let usesNotify: Bool

    public init(bpf: [UInt8], flags: UInt32, usesNotify: Bool) {
        self.bpf = bpf
        self.flags = flags
        self.usesNotify = usesNotify
    }

    /// A program with no instructions means "no seccomp" (runc's rule: a `linux.seccomp` with
    /// neither a default action nor syscalls is disabled); the loader does nothing with it.
    public static let none = SeccompProgram(bpf: [], flags: 0, usesNotify: false)

    public var isEmpty: Bool { bpf.isEmpty }
    public var instructionCount: Int { bpf.count / 8 }

    // Wire form: "SCP1", flags (u32 LE), usesNotify (u8), byte count (u32 LE), the bytes.
    private static let magic: [UInt8] = Array("SCP1".utf8)

    public var serialized: [UInt8] {
        var out = Self.magic
        out.reserveCapacity(13 + bpf.count)
        appendLE(flags, to: &out)
        out.append(usesNotify ? 1 : 0)
        appendLE(UInt32(bpf.count), to: &out)
        out += bpf
        return out
    }

    public init(serialized bytes: [UInt8]) throws {
        guard bytes.count >= 13, Array(bytes[0..<4]) == Self.magic else {
            throw SecurityConfigError("seccomp program", "malformed header (\(bytes.count) bytes)")
        }
        let flags = readLE(bytes, at: 4)
        let notify = bytes[8]
        let length = Int(readLE(bytes, at: 9))
        guard notify <= 1, length % 8 == 0, bytes.count == 13 + length else {
            throw SecurityConfigError("seccomp program", "malformed body (\(bytes.count) bytes)")
        }
        self.init(bpf: Array(bytes[13...]), flags: flags, usesNotify: notify == 1)
    }
}

private func appendLE(_ value: UInt32, to out: inout [UInt8]) {
    for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
}

private func readLE(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    var value: UInt32 = 0
    for index in 0..<4 { value |= UInt32(bytes[offset + index]) << UInt32(8 * index) }
    return value
}
