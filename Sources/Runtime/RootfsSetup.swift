// The container's root filesystem, set up from inside init (already in its new mount
// namespace) in three calls around the hooks:
//
//   prepare()   propagation of `/`, the rootfs made a mount point, every config.json mount in
//               order, /dev (devices, ptmx, fd links); ends with cwd = rootfs, where the
//               createContainer hooks run
//   pivot()     pivot_root (or MS_MOVE + chroot with --no-pivot), then rootfsPropagation
//   finalize()  read-only tmpfs remounts, root.readonly, readonlyPaths, maskedPaths
//
// sysctls must be written between pivot() and finalize(): finalize makes /proc/sys read-only.
#if canImport(Glibc)
import Glibc
#endif
import Linux
import OCISpec

public struct RootfsSetup {
    public let spec: Spec
    public let bundle: String
    let sys: MountSyscalls
    /// Detached idmapped mounts from the runtime, by config.json mount index; prepare()
    /// attaches and closes them.
    public var idmappedSources: [Int: Int32] = [:]
    /// The v1 hierarchies for a cgroup mount, when the parent sent them.
    var cgroupHierarchies: [CgroupHierarchy]?

    public init(spec: Spec, bundle: String, syscalls: MountSyscalls = RealSyscalls()) {
        self.spec = spec
        self.bundle = bundle
        self.sys = syscalls
    }

    /// root.path, made absolute against the bundle.
    public var rootfsPath: String {
        LexicalPath.absolute(spec.root?.path ?? "rootfs", from: bundle)
    }

    var namespaceTypes: [String] { (spec.linux?.namespaces ?? []).map { $0.type } }

    /// Whether /dev is ours to fill: runc leaves it alone only when /dev is bind-mounted.
    public var setsUpDev: Bool {
        !((try? plannedMounts()) ?? []).contains { $0.isBind && $0.destination == "/dev" }
    }

    /// rootfsPropagation as MS_* flags; nil when unset.
    func rootPropagation() throws -> UInt? {
        guard let value = spec.linux?.rootfsPropagation, !value.isEmpty else { return nil }
        guard let flags = MountOptions.rootPropagation(value) else {
            throw RootfsError(stage: "linux.rootfsPropagation",
                              underlying: RootfsViolation("rootfsPropagation=\(value) is not supported"))
        }
        return flags
    }

    // MARK: prepare

    public func prepare() throws {
        let propagation = try rootPropagation()
        let mounts = try plannedMounts()
        let rootfs = rootfsPath

        // Nothing mounted from here on may propagate back to the host: make the whole tree
        // slave (or what rootfsPropagation asks) before touching it.
        let tree = propagation ?? (MountFlag.slave | MountFlag.recursive)
        try inStage("rootfsPropagation", "/") {
            try sys.mount(source: nil, target: "/", type: nil, flags: tree, data: nil)
        }
        // After a recursive slave, private or unbindable `/` no mount here is shared, which is
        // what pivot_root and the bind below need: only a shared or non-recursive propagation
        // leaves the rootfs's parent mount to unshare (runc, too, touches it only when shared).
        let nothingShared = tree & MountFlag.recursive != 0 && tree & MountFlag.shared == 0
        try inStage("rootfs", rootfs) {
            if !nothingShared { try makeParentMountUnshared(of: rootfs, treePropagation: tree) }
            // pivot_root needs the new root to be a mount point.
            try sys.mount(source: rootfs, target: rootfs, type: "bind",
                          flags: MountFlag.bind | MountFlag.recursive, data: nil)
        }
        let root = try inStage("rootfs", rootfs) { try RootHandle(opening: rootfs, syscalls: sys) }
        defer { root.close() }

        defer { for fd in idmappedSources.values { sys.close(fd) } }
        var mounter = SpecMounter(sys: sys, root: root, userNamespace: usesUserNamespace(),
                                  cgroupNamespace: namespaceTypes.contains("cgroup"), idmappedSources: idmappedSources)
        mounter.knownCgroupHierarchies = cgroupHierarchies
        for mount in mounts {
            try inStage("mounts[\(mount.index)]", mount.subject) { try mounter.mount(mount) }
        }
        if !mounts.contains(where: { $0.isBind && $0.destination == "/dev" }) {  // setsUpDev, from the plan at hand
            try inStage("devices") {
                let nodes = try DeviceNode.nodes(for: spec)
                try DeviceSetup(sys: sys, root: root, bindFromHost: mounter.userNamespace).run(nodes)
            }
        }
        try inStage("rootfs", rootfs) { try sys.fchdir(root.fd) }
    }

    /// pivot_root fails when the new root's parent mount is shared, and a shared parent would
    /// also carry our bind of the rootfs back to the host. Walk up to the mount point holding
    /// the rootfs (mount(2) says EINVAL for a path that is no mount point) and unshare it.
    func makeParentMountUnshared(of path: String, treePropagation: UInt) throws {
        let flags = treePropagation & MountFlag.slave != 0 ? MountFlag.slave : MountFlag.private
        var current = LexicalPath.clean(path)
        while true {
            do {
                try sys.mount(source: nil, target: current, type: nil, flags: flags, data: nil)
                return
            } catch let error as SyscallError where error.errno == EINVAL && current != "/" {
                current = LexicalPath.parent(current)
            }
        }
    }

    /// In a user namespace mknod is refused: devices are bind-mounted from the host instead.
    func usesUserNamespace() -> Bool {
        if namespaceTypes.contains("user") { return true }
        guard let map = try? sys.readFile("/proc/self/uid_map") else { return false }
        return !IDRanges.isIdentity(mapFile: map)
    }

    // MARK: plan

    /// config.json's mounts, each with its options parsed and its source made absolute.
    func plannedMounts() throws -> [PlannedMount] {
        try (spec.mounts ?? []).enumerated().map { index, mount in
            try PlannedMount(index: index, mount: mount, bundle: bundle)
        }
    }
}

/// One config.json mount, ready to be mounted.
struct PlannedMount {
    let index: Int
    let mount: Mount
    /// Clean and absolute, inside the rootfs.
    let destination: String
    /// "bind" whenever the options say bind or rbind, whatever `type` says.
    let type: String
    /// Absolute for bind mounts (relative ones are relative to the bundle).
    let source: String
    let options: MountOptions

    init(index: Int, mount: Mount, bundle: String) throws {
        self.index = index
        self.mount = mount
        options = MountOptions(parsing: mount.options ?? [])
        destination = LexicalPath.clean(mount.destination)
        let stage = "mounts[\(index)]"
        guard !mount.destination.isEmpty else {
            throw RootfsError(stage: stage, underlying: RootfsViolation("destination is empty"))
        }
        for field in [mount.destination, mount.source ?? "", mount.type ?? ""] where field.utf8.contains(0) {
            throw RootfsError(stage: stage, underlying: RootfsViolation("mount field contains a null byte"))
        }
        if options.isBind {
            type = "bind"
            source = LexicalPath.absolute(mount.source ?? "", from: bundle)
        } else {
            type = mount.type ?? ""
            source = mount.source ?? (mount.type ?? "none")
        }
        if IDMappedSources.needsIDMap(mount, options) && !options.isBind {
            throw RootfsError(stage: stage, subject: subject, underlying: RootfsViolation(
                "idmapped mounts are only supported for bind mounts"))
        }
        if type.isEmpty {
            throw RootfsError(stage: stage, subject: subject, underlying: RootfsViolation("mount type is empty"))
        }
    }

    /// A mount runc-style helpers derive from a config.json one (the tmpfs and per-hierarchy
    /// binds of a cgroup v1 mount); errors still name the config.json mount.
    init(derivedFrom parent: PlannedMount, type: String, source: String, destination: String, options: MountOptions) {
        index = parent.index
        mount = Mount(destination: destination, type: type, source: source, options: nil)
        self.destination = LexicalPath.clean(destination)
        self.type = type
        self.source = source
        self.options = options
    }

    var isBind: Bool { type == "bind" }

    /// How errors name this mount: `tmpfs on /run`, `bind /host/dir on /data`.
    var subject: String {
        isBind ? "bind \(source) on \(destination)" : "\(mount.type ?? "?") on \(destination)"
    }

    /// tmpfs and /dev are mounted writable and made read-only by finalize(): devices are
    /// created in /dev and a tmpfs may be filled (tmpcopyup) first.
    var readOnlyDeferred: Bool { type == "tmpfs" || destination == "/dev" }
}
