// The one interface the runtime parent uses for a container's cgroups, whichever hierarchy
// the machine has. Managers hold only directory paths, so they can be rebuilt from the
// `paths` saved in the container's state file.
#if canImport(Glibc)
import Glibc
#endif
import OCISpec

public enum FreezerState: String, Equatable, Sendable {
    case thawed, frozen
    /// No freezer for this container (not mounted, or the cgroup is gone).
    case undefined
}

public protocol CgroupManager: Sendable {
    /// Controller → absolute cgroup directory; "" is the cgroup2 directory (the only key in
    /// unified mode, an extra one in hybrid mode). Save it to rebuild the manager later with
    /// `makeCgroupManager(paths:)`.
    var paths: [String: String] { get }

    /// Makes the container's cgroup directories (mkdir -p), preparing what a new cgroup needs
    /// before a process can join (cpuset.cpus/mems inherited on v1, controllers enabled in the
    /// ancestors' cgroup.subtree_control on v2).
    func create() throws
    /// Moves `pid` (a whole process) into the container's cgroups.
    func addProcess(pid: Int32) throws
    /// Writes every set field of linux.resources (unset fields leave the kernel's value).
    func apply(_ resources: LinuxResources) throws
    /// Removes the container's cgroup directories, nested child cgroups first, retrying
    /// briefly while the kernel still counts exiting processes (EBUSY).
    func destroy() throws
    /// Sends `signal` to every process in the container's cgroups, nested ones included.
    func killAll(signal: Int32) throws
    func freeze() throws
    func thaw() throws
    func freezerState() throws -> FreezerState
    /// Every process in the container's cgroup and its descendants.
    func pids() throws -> [Int32]
    func stats() throws -> CgroupStats
    /// How many processes the kernel's OOM killer has killed in the container's cgroup.
    func oomKillCount() throws -> UInt64
    /// A descriptor that becomes readable when the container hits an OOM condition (v1: an
    /// eventfd registered on memory.oom_control; v2: an inotify descriptor on memory.events,
    /// re-check `oomKillCount()` when it fires). The caller owns and closes it.
    func oomEventFD() throws -> Int32
    /// Whether the container's cgroup directory still exists.
    func exists() -> Bool
}

extension CgroupManager {
    public func isFrozen() throws -> Bool {
        try freezerState() == .frozen
    }

    /// `destroy()`, killing what still runs first when asked (delete --force).
    public func destroy(killingRemaining: Bool) throws {
        if killingRemaining && exists() {
            try killAll(signal: SIGKILL)
        }
        try destroy()
    }
}

/// The manager for a new container: resolves linux.cgroupsPath (see CgroupPath) on `layout`.
/// `--systemd-cgroup` is not supported; the CLI rejects it before getting here.
public func makeCgroupManager(cgroupsPath: String?, containerID: String, layout: CgroupLayout) throws -> CgroupManager {
    let paths = try CgroupPath.resolve(cgroupsPath: cgroupsPath, containerID: containerID, layout: layout)
    if layout.mode == .unified {
        return V2CgroupManager(directory: paths[""]!, delegationRoot: layout.unifiedMountPoint)
    }
    var roots: [String: String] = [:]
    for hierarchy in layout.hierarchies {
        for controller in hierarchy.controllers { roots[controller] = hierarchy.mountPoint }
    }
    if let unified = layout.unifiedMountPoint { roots[""] = unified }
    return V1CgroupManager(paths: paths, mountPoints: roots)
}

/// The manager of an existing container, from the `paths` its state file saved.
public func makeCgroupManager(paths: [String: String]) -> CgroupManager {
    if paths.count == 1, let directory = paths[""] {
        return V2CgroupManager(directory: directory)
    }
    return V1CgroupManager(paths: paths)
}
