// Which cgroup hierarchies this machine has, where they are mounted, and which cgroup the
// calling process sits in within each: everything path resolution needs, read once.

import Linux

public struct CgroupLayout: Equatable, Sendable {
    public enum Mode: String, Equatable, Sendable {
        /// Only v1 hierarchies.
        case v1
        /// v1 controllers plus a controller-less cgroup2 mount (systemd's /sys/fs/cgroup/unified).
        case hybrid
        /// /sys/fs/cgroup itself is cgroup2.
        case unified
    }

    /// A mounted v1 hierarchy: one mount point, one or more controllers (co-mounted
    /// "cpu,cpuacct"), or a named hierarchy ("name=systemd").
    public struct Hierarchy: Equatable, Sendable {
        public var mountPoint: String
        /// The cgroup this mount is rooted at (not "/" inside cgroup namespaces or when a
        /// container bind-mounts its own cgroup).
        public var root: String
        public var controllers: [String]

        public init(mountPoint: String, root: String = "/", controllers: [String]) {
            self.mountPoint = mountPoint
            self.root = root
            self.controllers = controllers
        }
    }

    public var mode: Mode
    public var hierarchies: [Hierarchy]
    /// The cgroup2 mount (hybrid or unified), if any.
    public var unifiedMountPoint: String?
    public var unifiedRoot: String
    /// The caller's cgroup per controller, as /proc/self/cgroup says ("memory" → "/a/b");
    /// the key "" holds the cgroup2 path (the `0::` line).
    public var callerCgroups: [String: String]

    public init(mode: Mode, hierarchies: [Hierarchy], unifiedMountPoint: String?, unifiedRoot: String = "/",
                callerCgroups: [String: String]) {
        self.mode = mode
        self.hierarchies = hierarchies
        self.unifiedMountPoint = unifiedMountPoint
        self.unifiedRoot = unifiedRoot
        self.callerCgroups = callerCgroups
    }

    /// Builds the layout from the text of /proc/self/mountinfo and /proc/self/cgroup.
    /// `cgroupRootIsCgroup2` is the statfs answer for /sys/fs/cgroup when known: it decides
    /// unified mode the way runc does; without it, unified means "cgroup2 and no v1 controllers".
    public init(mountInfo: String, procSelfCgroup: String, cgroupRootIsCgroup2: Bool? = nil) throws {
        let mounts = MountInfo.parseSkippingMalformed(mountInfo, fsTypes: ["cgroup", "cgroup2"])
        var hierarchies: [Hierarchy] = []
        var claimed: [String] = []  // a handful: no Set (its storage type is made at run time)
        for mount in mounts where mount.fsType == "cgroup" {
            let controllers = mount.superOptions.utf8.split(separator: UInt8(ascii: ",")).map { String(Substring($0)) }
                .filter { Self.isControllerOption($0) && !claimed.contains($0) }
            // A hierarchy mounted twice (bind mounts in nested containers): the first wins.
            guard !controllers.isEmpty else { continue }
            claimed.append(contentsOf: controllers)
            hierarchies.append(Hierarchy(mountPoint: mount.mountPoint, root: mount.root, controllers: controllers))
        }
        let cgroup2Mounts = mounts.filter { $0.fsType == "cgroup2" }
        let preferred = cgroup2Mounts.first { $0.mountPoint == "/sys/fs/cgroup" }
            ?? cgroup2Mounts.first { $0.mountPoint == "/sys/fs/cgroup/unified" }
            ?? cgroup2Mounts.first

        var callers: [String: String] = [:]
        for entry in try ProcCgroupEntry.parse(procSelfCgroup) {
            if entry.hierarchyID == 0 && entry.controllers.isEmpty {
                callers[""] = entry.path
            } else {
                for controller in entry.controllers { callers[controller] = entry.path }
            }
        }

        let unified = cgroupRootIsCgroup2 ?? (hierarchies.isEmpty && preferred != nil)
        if unified {
            self.init(mode: .unified, hierarchies: [], unifiedMountPoint: preferred?.mountPoint ?? "/sys/fs/cgroup",
                      unifiedRoot: preferred?.root ?? "/", callerCgroups: callers)
        } else {
            guard !hierarchies.isEmpty else {
                throw CgroupError("no cgroup mount found in /proc/self/mountinfo")
            }
            self.init(mode: preferred == nil ? .v1 : .hybrid, hierarchies: hierarchies,
                      unifiedMountPoint: preferred?.mountPoint, unifiedRoot: preferred?.root ?? "/",
                      callerCgroups: callers)
        }
    }

    /// Reads the running system's layout.
    public static func detect() throws -> CgroupLayout {
        let mountInfo: String
        let procCgroup: String
        do {
            mountInfo = try CgroupFiles.read("/proc/self/mountinfo")
            procCgroup = try CgroupFiles.read("/proc/self/cgroup")
        } catch let error as CgroupError {
            throw error
        } catch {
            throw CgroupError("detect cgroup layout: \(error)")
        }
        let rootIsCgroup2 = CgroupFiles.filesystemType("/sys/fs/cgroup") == cgroup2SuperMagic
        return try CgroupLayout(mountInfo: mountInfo, procSelfCgroup: procCgroup, cgroupRootIsCgroup2: rootIsCgroup2)
    }

    /// The v1 hierarchy holding `controller` ("memory", "name=systemd").
    public func hierarchy(for controller: String) -> Hierarchy? {
        hierarchies.first { $0.controllers.contains(controller) }
    }

    /// The directory of the caller's own cgroup in the hierarchy of `controller`
    /// ("" for the cgroup2 mount), or nil if that hierarchy is not mounted.
    public func callerDirectory(for controller: String) -> String? {
        if controller.isEmpty {
            guard let mountPoint = unifiedMountPoint else { return nil }
            return CgroupPath.join(mountPoint, CgroupPath.relative(callerCgroups[""] ?? "/", to: unifiedRoot))
        }
        guard let hierarchy = hierarchy(for: controller) else { return nil }
        let cgroup = callerCgroups[controller] ?? "/"
        return CgroupPath.join(hierarchy.mountPoint, CgroupPath.relative(cgroup, to: hierarchy.root))
    }

    /// Controllers mounted on this machine (v1), named hierarchies included.
    public var mountedControllers: [String] {
        hierarchies.flatMap { $0.controllers }
    }

    static func isControllerOption(_ option: String) -> Bool {
        if option.hasPrefix("name=") { return true }
        return v1Controllers.contains(option)
    }

    /// Every v1 controller the kernel has had (superOptions also hold rw, relatime, ...).
    static let v1Controllers = [
        "cpuset", "cpu", "cpuacct", "blkio", "memory", "devices", "freezer", "net_cls", "perf_event",
        "net_prio", "hugetlb", "pids", "rdma", "misc", "debug",
    ]
}
