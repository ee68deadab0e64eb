// Namespace types as the spec names them, their clone flags and /proc/<pid>/ns names.
#if canImport(Glibc)
import Glibc
#endif
import CShims

public enum NamespaceKind: String, CaseIterable {
    case user, pid, network, ipc, uts, mount, cgroup, time

    /// The order namespaces are joined in: user first, so the rest are joined with the
    /// privileges it grants; mount late, since joining it changes what paths mean.
    public static let joinOrder: [NamespaceKind] = [.user, .ipc, .uts, .network, .pid, .cgroup, .time, .mount]

    public var cloneFlag: Int32 {
        switch self {
        case .user: return 0x1000_0000      // CLONE_NEWUSER
        case .pid: return 0x2000_0000       // CLONE_NEWPID
        case .network: return 0x4000_0000   // CLONE_NEWNET
        case .ipc: return 0x0800_0000       // CLONE_NEWIPC
        case .uts: return 0x0400_0000       // CLONE_NEWUTS
        case .mount: return 0x0002_0000     // CLONE_NEWNS
        case .cgroup: return 0x0200_0000    // CLONE_NEWCGROUP
        case .time: return 0x0000_0080      // CLONE_NEWTIME
        }
    }

    /// The entry under /proc/<pid>/ns/.
    public var procName: String {
        switch self {
        case .network: return "net"
        case .mount: return "mnt"
        default: return rawValue
        }
    }
}

public enum Namespaces {
    public static func join(_ kind: NamespaceKind, path: String) throws {
        let fd = try check("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        try check("setns", path: path) { sl_setns(fd, kind.cloneFlag) }
    }

    public static func unshare(_ flags: Int32, what: String) throws {
        try check("unshare", path: what) { sl_unshare(flags) }
    }
}
