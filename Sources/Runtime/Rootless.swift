// Whether swiftlet runs without privileges over the host (`--rootless auto|true|false`, as
// runc), and what follows from it: where state lives by default, and which steps are allowed
// to fall back instead of failing (cgroups, id maps).
#if canImport(Glibc)
import Glibc
#endif
import Linux

public enum RootlessSetting: String, Sendable {
    case auto, `true`, `false`

    public init(flag: String?) throws {
        guard let flag else { self = .auto; return }
        guard let value = RootlessSetting(rawValue: flag) else {
            throw RuntimeError("invalid --rootless value \"\(flag)\": want auto, true or false")
        }
        self = value
    }
}

public enum Rootless {
    /// `auto` means rootless when our effective uid is not 0, or when we run inside a user
    /// namespace (root there is not root over the host's cgroups and devices).
    public static func resolve(_ setting: RootlessSetting) -> Bool {
        switch setting {
        case .true: return true
        case .false: return false
        case .auto: return geteuid() != 0 || runningInUserNamespace()
        }
    }

    /// Read once per process: a command asks for `--rootless auto` both for its default
    /// `--root` and for its own options, and never changes its user namespace in between.
    public static func runningInUserNamespace() -> Bool { inUserNamespace }

    private static let inUserNamespace: Bool = {
        guard let text = try? FileSystem.readText("/proc/self/uid_map") else { return false }
        return !IDRanges.isIdentity(mapFile: text)
    }()

    /// The default `--root`: /run/swiftlet for root on the host; `$XDG_RUNTIME_DIR/swiftlet`
    /// for an unprivileged user, who cannot write /run. Root inside a user namespace uses
    /// XDG_RUNTIME_DIR when it is set to a directory that is not root's (as runc decides).
    public static func defaultRoot(rootless: Bool) throws -> String {
        let system = "/run/swiftlet"
        let xdg = ProcessInfo.getenv("XDG_RUNTIME_DIR").flatMap { $0.isEmpty ? nil : $0 }
        if geteuid() != 0 {
            guard let xdg else {
                throw RuntimeError("rootless: XDG_RUNTIME_DIR is not set, so there is no default state directory for an unprivileged user; set XDG_RUNTIME_DIR or pass --root DIR")
            }
            return xdg + "/swiftlet"
        }
        if rootless, let xdg, ProcessInfo.getenv("USER") != "root" { return xdg + "/swiftlet" }
        return system
    }
}
