// Facts about this build for `--version` and `features`.
import CSeccomp
import CShims
import OCISpec

public enum BuildInfo {
    public static let version = "0.1.0"
    public static var commit: String { String(cString: sl_build_commit()) }
}

public enum SpecVersionInfo {
    public static let current = SpecVersion.current
    public static var libseccomp: String {
        guard let v = seccomp_version() else { return "unknown" }
        return "\(v.pointee.major).\(v.pointee.minor).\(v.pointee.micro)"
    }
}
