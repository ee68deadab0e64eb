// Capability numbers as a bit set, and the names config.json spells them with.
import CCap
import Glibc
import Linux

public struct CapabilitySet: Equatable, Sendable, CustomStringConvertible {
    /// Bit n stands for capability n; Linux has fewer than 64.
    public var bits: UInt64

    public init(bits: UInt64 = 0) { self.bits = bits }
    public init(_ numbers: [Int32]) {
        bits = 0
        for number in numbers { insert(number) }
    }

    public static let empty = CapabilitySet()

    /// Capabilities 0 through `last`, the set the kernel knows.
    public static func all(upTo last: Int32) -> CapabilitySet {
        CapabilitySet(bits: last >= 63 ? .max : (UInt64(1) << UInt64(last + 1)) - 1)
    }

    public func contains(_ number: Int32) -> Bool {
        number >= 0 && number < 64 && bits & (UInt64(1) << UInt64(number)) != 0
    }

    public mutating func insert(_ number: Int32) {
        if number >= 0 && number < 64 { bits |= UInt64(1) << UInt64(number) }
    }

    public var numbers: [Int32] { (0..<64).filter { contains($0) } }

    public var description: String { "[" + numbers.map(CapabilityName.name(of:)).joined(separator: " ") + "]" }
}

public enum CapabilityName {
    /// The number of `name` (`CAP_NET_ADMIN`, any letter case) as libcap knows it, nil when
    /// it is not a capability name at all.
    public static func number(of name: String) -> Int32? {
        let lower = name.lowercased()
        // libcap also takes bare numbers and "all"; config.json names capabilities.
        guard lower.hasPrefix("cap_") else { return nil }
        let rest = lower.dropFirst(4)
        // Bytewise: Character.isNumber would page in Unicode property tables on every create.
        guard !rest.isEmpty, decimalValue(rest.utf8) == nil else { return nil }
        var value: cap_value_t = 0
        guard cap_from_name(lower, &value) == 0 else { return nil }
        return value
    }

    /// `CAP_X` for a number libcap has a name for, the decimal number otherwise.
    public static func name(of number: Int32) -> String {
        guard let text = cap_to_name(number) else { return String(number) }
        defer { cap_free(text) }
        let name = String(cString: text)
        let first = name.utf8.first ?? 0
        return first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9") ? name : name.uppercased()
    }

    /// Every capability name libcap knows, in number order (the `features` list).
    public static var known: [String] {
        var names: [String] = []
        for number in Int32(0)..<64 {
            let name = name(of: number)
            if !name.hasPrefix("CAP_") { break }
            names.append(name)
        }
        return names
    }

    /// The highest capability the running kernel knows. libcap found it when the process
    /// started (prctl(PR_CAPBSET_READ) probes, which need no /proc); /proc/sys/kernel/cap_last_cap
    /// is the fallback should it have found none.
    public static func kernelLastCapability() throws -> Int32 {
        let probed = Int32(cap_max_bits())
        if probed > 0 { return probed - 1 }
        let path = "/proc/sys/kernel/cap_last_cap"
        let fd = try check("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = try check("read", path: path) {
            Int32(buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) })
        }
        // The number and its newline, read bytewise (Character.isNumber would page in Unicode
        // property tables).
        var digits = buffer[0..<Int(count)]
        if digits.last == UInt8(ascii: "\n") { digits.removeLast() }
        guard let last = decimalValue(digits), last < 1000 else { throw SyscallError("parse", path: path, errno: EINVAL) }
        return Int32(last)
    }
}
