// What `swiftlet features` reports for seccomp and capabilities, asked of libseccomp and the
// running kernel rather than written down.
import CSeccomp
import CShims
import OCISpec

public enum SecurityFeatures {
    /// Actions the kernel can return (SECCOMP_GET_ACTION_AVAIL; kernels before 4.14 cannot
    /// answer, and then every action is listed, as runc lists its whole table).
    public static var seccompActions: [String] {
        SeccompAction.names.filter { name in
            guard let action = SeccompAction(name: name, errnoRet: nil) else { return false }
            // The kernel asks about the action alone, without ERRNO's or TRACE's data bits.
            return swiftlet_seccomp_action_available(action.value & 0xffff_0000) != 0
        }
    }

    public static var seccompOperators: [String] { SeccompOperator.table.map(\.name).sorted() }

    /// Architectures this libseccomp can build filters for.
    public static var seccompArchs: [String] { SeccompArchitecture.supportedNames.sorted() }

    /// Flags config.json may name (TSYNC is accepted and ignored).
    public static var knownFlags: [String] { SeccompFlag.table.map(\.name) }

    /// Flags the running kernel accepts.
    public static var supportedFlags: [String] {
        SeccompFlag.table.filter { SeccompFlag.kernelSupports($0.bit) }.map(\.name)
    }

    /// Every capability name libcap knows, in number order.
    public static var capabilities: [String] { CapabilityName.known }

    /// libseccomp's version, as `2.5.4`.
    public static var libseccompVersion: String {
        guard let version = seccomp_version() else { return "unknown" }
        return "\(version.pointee.major).\(version.pointee.minor).\(version.pointee.micro)"
    }

    /// The `linux.seccomp` object of features.json.
    public static var seccomp: SeccompFeatures {
        var features = SeccompFeatures()
        features.enabled = true
        features.actions = seccompActions
        features.operators = seccompOperators
        features.archs = seccompArchs
        features.knownFlags = knownFlags
        features.supportedFlags = supportedFlags
        return features
    }
}
