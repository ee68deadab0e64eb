// `process.capabilities`: parsed in the parent or init, applied by init around the user switch.
//
// The order init must follow, and why:
//   1. prepareForUserSwitch()  PR_SET_KEEPCAPS, so a switch from uid 0 to another uid keeps the
//                              permitted set (the kernel would clear it).
//   2. dropBoundingSet()       PR_CAPBSET_DROP needs CAP_SETPCAP in the effective set, which a
//                              non-root user loses at the switch, so this comes before it.
//   3. setresgid / setresuid   (the runtime's user stage). The kernel clears the effective and
//                              ambient sets when the uid leaves 0; permitted survives thanks to 1.
//   4. apply()                 capset sets effective/permitted/inheritable (effective must be a
//                              subset of the kept permitted set), clears keepcaps, then raises
//                              ambient caps, which needs each one permitted and inheritable and
//                              is what lets a non-root process keep capabilities across execve.
import CCap
import Glibc
import Linux
import OCISpec

public struct Capabilities: Equatable, Sendable {
    public var bounding = CapabilitySet.empty
    public var effective = CapabilitySet.empty
    public var inheritable = CapabilitySet.empty
    public var permitted = CapabilitySet.empty
    public var ambient = CapabilitySet.empty
    /// The highest capability number of the kernel these sets are meant for.
    public let lastCapability: Int32
    /// Unknown names, and known names beyond `lastCapability`: left out, as runc does, for a warning.
    public private(set) var unavailable: [String] = []

    /// Parses `spec` for a kernel whose highest capability is `lastCapability`. Names that are
    /// not capabilities, or that this kernel lacks, are left out and listed in `unavailable`.
    public init(_ spec: LinuxCapabilities, lastCapability: Int32, path: String = "process.capabilities") throws {
        self.lastCapability = lastCapability
        bounding = try parse(spec.bounding, "\(path).bounding")
        effective = try parse(spec.effective, "\(path).effective")
        inheritable = try parse(spec.inheritable, "\(path).inheritable")
        permitted = try parse(spec.permitted, "\(path).permitted")
        ambient = try parse(spec.ambient, "\(path).ambient")
    }

    /// Parses `spec` for the running kernel.
    public init(_ spec: LinuxCapabilities, path: String = "process.capabilities") throws {
        try self.init(spec, lastCapability: try CapabilityName.kernelLastCapability(), path: path)
    }

    private mutating func parse(_ names: [String]?, _ path: String) throws -> CapabilitySet {
        var set = CapabilitySet.empty
        for (index, name) in (names ?? []).enumerated() {
            // config.md: a capability the runtime cannot map MUST be logged as a warning and
            // SHOULD NOT fail the container; runc ignores it with a warning too.
            guard let number = CapabilityName.number(of: name) else {
                let entry = "\(name) (\(path)[\(index)])"
                if !unavailable.contains(entry) { unavailable.append(entry) }
                continue
            }
            if number > lastCapability {
                let canonical = name.uppercased()
                if !unavailable.contains(canonical) { unavailable.append(canonical) }
                continue
            }
            set.insert(number)
        }
        return set
    }

    /// runc's wording, for the runtime to log when `unavailable` is not empty.
    public var warning: String? {
        unavailable.isEmpty ? nil : "ignoring unknown or unavailable capabilities: [\(unavailable.sorted().joined(separator: " "))]"
    }

    /// Capabilities the kernel knows that the bounding set leaves out.
    public var boundingDrops: [Int32] {
        (0...lastCapability).filter { !bounding.contains($0) }
    }

    // MARK: applying, in the order described at the top of this file

    public func prepareForUserSwitch() throws {
        try prctl("prctl(PR_SET_KEEPCAPS, 1)", PrctlOption.setKeepCaps, 1)
    }

    public func dropBoundingSet() throws {
        for number in boundingDrops {
            let rc = cap_prctl(Int(PrctlOption.capabilityBoundingDrop), Int(number), 0, 0, 0, 0)
            // EINVAL: a capability this kernel does not have, nothing to drop.
            if rc != 0 && errno != EINVAL {
                throw SyscallError("prctl(PR_CAPBSET_DROP, \(CapabilityName.name(of: number)))")
            }
        }
    }

    /// Sets effective, permitted and inheritable, clears keepcaps and raises the ambient set.
    /// Returns warnings for ambient capabilities the kernel refused, which runc does not treat
    /// as fatal either.
    @discardableResult
    public func apply() throws -> [String] {
        guard let state = cap_init() else { throw SyscallError("cap_init") }
        defer { cap_free(UnsafeMutableRawPointer(state)) }
        try set(state, CAP_EFFECTIVE, effective)
        try set(state, CAP_PERMITTED, permitted)
        try set(state, CAP_INHERITABLE, inheritable)
        if cap_set_proc(state) != 0 {
            throw SyscallError("capset(effective=\(effective) permitted=\(permitted) inheritable=\(inheritable))")
        }
        try prctl("prctl(PR_SET_KEEPCAPS, 0)", PrctlOption.setKeepCaps, 0)

        var warnings: [String] = []
        // EINVAL: a kernel without ambient capabilities (before 4.3); nothing to clear. One
        // prctl: libcap's cap_reset_ambient first asks about every capability in turn (42 calls).
        if cap_prctl(Int(PrctlOption.capabilityAmbient), PrctlOption.ambientClearAll, 0, 0, 0, 0) != 0
            && errno != EINVAL {
            throw SyscallError("prctl(PR_CAP_AMBIENT_CLEAR_ALL)")
        }
        for number in ambient.numbers where cap_set_ambient(number, CAP_SET) != 0 {
            warnings.append("can't raise ambient capability \(CapabilityName.name(of: number)): \(errnoDescription(errno))")
        }
        return warnings
    }

    private func set(_ state: cap_t, _ flag: cap_flag_t, _ caps: CapabilitySet) throws {
        var values = caps.numbers.map { cap_value_t($0) }
        if values.isEmpty { return }
        let rc = values.withUnsafeMutableBufferPointer { buffer in
            cap_set_flag(state, flag, Int32(buffer.count), buffer.baseAddress, CAP_SET)
        }
        if rc != 0 { throw SyscallError("cap_set_flag") }
    }
}
