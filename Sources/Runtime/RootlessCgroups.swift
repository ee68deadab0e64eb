// cgroups for a rootless container. An unprivileged user may own a delegated cgroup v2
// subtree (systemd's user@UID.service, or one an administrator chowned); then the container
// gets a cgroup there. Otherwise it runs in the caller's cgroup without resource limits, with
// a warning, as runc does: cgroups never make a rootless create fail.
#if canImport(Glibc)
import Glibc
#endif
import Cgroups
import OCISpec

enum RootlessCgroups {
    /// A created manager that holds the container, or nil when the caller may not make one.
    /// Resource limits that cannot be written are warned about and skipped.
    static func make(cgroupsPath: String?, containerID: String, layout: CgroupLayout,
                     resources: LinuxResources?, log: Logger) throws -> CgroupManager? {
        // A config error whatever the privileges (runc's validator refuses it too): it must
        // not turn into a warning just because no cgroup could be made.
        if layout.mode != .unified, let unified = resources?.unified, !unified.isEmpty {
            throw CgroupError(field: "linux.resources.unified", "invalid configuration: cannot use unified on cgroup v1")
        }
        var failures: [String] = []
        var candidates: [CgroupManager] = []
        do {
            candidates.append(try makeCgroupManager(cgroupsPath: cgroupsPath, containerID: containerID, layout: layout))
        } catch {
            failures.append("\(error)")
        }
        // Hybrid mode: the v1 hierarchies belong to root, but the cgroup2 one may be delegated.
        if layout.mode == .hybrid,
           let paths = try? CgroupPath.resolve(cgroupsPath: cgroupsPath, containerID: containerID, layout: layout),
           let unified = paths[""] {
            candidates.append(V2CgroupManager(directory: unified, delegationRoot: layout.unifiedMountPoint))
        }
        for manager in candidates {
            do {
                try manager.create()
            } catch {
                failures.append("\(error)")
                try? manager.destroy()
                continue
            }
            if var wanted = resources {
                // Device rules need the devices controller (v1) or a BPF program (v2), both
                // root's; device nodes in a user namespace are the host's, with its permissions.
                wanted.devices = nil
                do { try manager.apply(wanted) } catch {
                    log.warning("rootless: linux.resources not applied: \(error)")
                }
            }
            return TolerantCgroupManager(inner: manager)
        }
        let reason = failures.last ?? "no cgroup hierarchy"
        let limits = resources == nil ? "" : "; linux.resources are ignored"
        log.warning("rootless: no cgroup of our own (\(reason)): the container stays in the caller's cgroup\(limits)")
        return nil
    }
}

/// A rootless container's cgroup: moving a process in needs write access to the common
/// ancestor of where it is and where it goes, which a delegated subtree may not give. That
/// failure is a warning; every other operation is the wrapped manager's.
struct TolerantCgroupManager: CgroupManager {
    let inner: CgroupManager

    var paths: [String: String] { inner.paths }
    func create() throws { try inner.create() }
    func addProcess(pid: Int32) throws {
        do { try inner.addProcess(pid: pid) } catch {
            Logger.shared.warning("rootless: cannot move pid \(pid) into the container's cgroup, it stays in the caller's: \(error)")
        }
    }
    func apply(_ resources: LinuxResources) throws { try inner.apply(resources) }
    func destroy() throws { try inner.destroy() }
    func killAll(signal: Int32) throws { try inner.killAll(signal: signal) }
    func freeze() throws { try inner.freeze() }
    func thaw() throws { try inner.thaw() }
    func freezerState() throws -> FreezerState { try inner.freezerState() }
    func pids() throws -> [Int32] { try inner.pids() }
    func stats() throws -> CgroupStats { try inner.stats() }
    func oomKillCount() throws -> UInt64 { try inner.oomKillCount() }
    func oomEventFD() throws -> Int32 { try inner.oomEventFD() }
    func exists() -> Bool { inner.exists() }
}
