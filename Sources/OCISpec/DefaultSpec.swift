// The starter config `swiftlet spec [--rootless]` writes: in effect the one current runc
// (1.5, libcontainer/specconv) writes, so bundles and tutorials made for runc work unchanged.
// Differences from runc, on purpose: the hostname is "swiftlet", and ociVersion is the
// runtime-spec version this runtime implements.

#if canImport(Glibc)
import Glibc
#endif

/// What of the running host the starter config depends on.
public struct DefaultSpecHost: Equatable, Sendable {
    /// Mapped to root in a rootless config (runc uses the effective ids).
    public var uid: UInt32
    public var gid: UInt32
    /// On a pure cgroup v2 host the container also gets a cgroup namespace (as runc does).
    public var cgroup2Unified: Bool

    public init(uid: UInt32, gid: UInt32, cgroup2Unified: Bool) {
        self.uid = uid; self.gid = gid; self.cgroup2Unified = cgroup2Unified
    }

    public static func current() -> DefaultSpecHost {
        DefaultSpecHost(uid: geteuid(), gid: getegid(), cgroup2Unified: isCgroup2UnifiedHierarchy())
    }
}

/// Whether /sys/fs/cgroup itself is the cgroup2 root (not hybrid, not v1): only the root
/// of a cgroup2 mount has cgroup.controllers, and on hybrid hosts that root is elsewhere.
public func isCgroup2UnifiedHierarchy() -> Bool {
    access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0
}

public func defaultSpec(rootless: Bool, host: DefaultSpecHost = .current()) -> Spec {
    var spec = Spec()
    spec.ociVersion = SpecVersion.current
    spec.root = Root(path: "rootfs", readonly: true)
    spec.process = defaultProcess()
    spec.hostname = "swiftlet"
    spec.mounts = defaultMounts()

    var linux = Linux()
    linux.maskedPaths = [
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
    ]
    linux.readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
    var resources = LinuxResources()
    resources.devices = [LinuxDeviceCgroup(allow: false, access: "rwm")]
    linux.resources = resources
    var namespaces = ["pid", "network", "ipc", "uts", "mount"]
    if host.cgroup2Unified { namespaces.append("cgroup") }
    linux.namespaces = namespaces.map { LinuxNamespace(type: $0) }
    spec.linux = linux

    if rootless { makeRootless(&spec, host: host) }
    return spec
}

private func defaultProcess() -> Process {
    var process = Process()
    process.terminal = true
    process.user = User(uid: 0, gid: 0)
    process.args = ["sh"]
    process.env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"]
    process.cwd = "/"
    process.noNewPrivileges = true
    // runc 1.5 no longer grants ambient capabilities by default (1.1 did).
    let caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    var capabilities = LinuxCapabilities()
    capabilities.bounding = caps
    capabilities.effective = caps
    capabilities.permitted = caps
    process.capabilities = capabilities
    process.rlimits = [POSIXRlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)]
    return process
}

private func defaultMounts() -> [Mount] {
    [
        Mount(destination: "/proc", type: "proc", source: "proc"),
        Mount(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
        Mount(destination: "/dev/pts", type: "devpts", source: "devpts",
              options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
        Mount(destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
        Mount(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
        Mount(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]),
        Mount(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"]),
    ]
}

/// What runc's `spec --rootless` changes: a user namespace mapping the caller to root instead
/// of a network namespace (an unprivileged user cannot configure one), sysfs bound from the
/// host (a new sysfs mount needs a network namespace), no uid=/gid= mount options (the ids may
/// be unmapped), and no cgroup settings (the caller may not own a cgroup).
private func makeRootless(_ spec: inout Spec, host: DefaultSpecHost) {
    guard var linux = spec.linux else { return }
    var namespaces = (linux.namespaces ?? []).filter { $0.type != "network" && $0.type != "user" }
    namespaces.append(LinuxNamespace(type: "user"))
    linux.namespaces = namespaces
    linux.uidMappings = [LinuxIDMapping(containerID: 0, hostID: host.uid, size: 1)]
    linux.gidMappings = [LinuxIDMapping(containerID: 0, hostID: host.gid, size: 1)]
    linux.resources = nil
    spec.linux = linux

    spec.mounts = (spec.mounts ?? []).map { mount in
        if cleanPath(mount.destination) == "/sys" {
            return Mount(destination: "/sys", type: "none", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"])
        }
        var m = mount
        if let options = m.options {
            let kept = options.filter { !$0.hasPrefix("uid=") && !$0.hasPrefix("gid=") }
            m.options = kept.isEmpty ? nil : kept
        }
        return m
    }
}
