// A config.json mount of type "cgroup" (`/sys/fs/cgroup`), runc's way:
// - cgroup v2 only (/sys/fs/cgroup is a cgroup2): a cgroup2 mount, or, where the kernel refuses
//   one (a user namespace without its own cgroup namespace), a bind of the host's hierarchy;
// - v1 or hybrid: a tmpfs at the destination and, under it, one entry per v1 hierarchy this
//   process is in: a fresh cgroup mount of that hierarchy with a cgroup namespace (it then shows
//   the namespace's root), else a bind of the process's own cgroup directory in it. Merged
//   hierarchies (`cpu,cpuacct`) get one symlink per controller.
#if canImport(Glibc)
import Glibc
#endif
import Cgroups
import Linux

/// One cgroup v1 hierarchy to show in the container.
struct CgroupHierarchy: Equatable, Codable {
    /// Where the host has it mounted (`/sys/fs/cgroup/cpu,cpuacct`).
    var mountPoint: String
    /// The directory of this process's cgroup under that mount point.
    var ownDirectory: String
    /// Its controllers, `systemd` for `name=systemd`.
    var subsystems: [String]

    var name: String { LexicalPath.baseName(mountPoint) }

    /// From /proc/self/mountinfo and /proc/self/cgroup: the first mount of each v1 hierarchy
    /// this process belongs to, in mount order.
    static func parse(mountInfo: [MountInfoEntry], cgroupFile: String) -> [CgroupHierarchy] {
        var paths: [String: String] = [:]
        for line in cgroupFile.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            for subsystem in fields[1].split(separator: ",") { paths[String(subsystem)] = String(fields[2]) }
        }
        var seen: [String] = []
        var result: [CgroupHierarchy] = []
        for entry in mountInfo where entry.fsType == "cgroup" {
            var subsystems: [String] = []
            var firstKey: String?
            for option in entry.superOptions.split(separator: ",").map(String.init)
            where paths[option] != nil && !seen.contains(option) {
                seen.append(option)
                firstKey = firstKey ?? option
                subsystems.append(option.hasPrefix("name=") ? String(option.dropFirst(5)) : option)
            }
            guard let key = firstKey, let own = paths[key] else { continue }
            let relative = LexicalPath.strip(root: entry.root, own) ?? own
            result.append(CgroupHierarchy(mountPoint: entry.mountPoint,
                                          ownDirectory: LexicalPath.join(entry.mountPoint, relative),
                                          subsystems: subsystems))
        }
        return result
    }

    /// The same list as `parse` gives inside init once it has joined the container's cgroups,
    /// from what the parent already knows (its layout and the container's cgroup paths), so
    /// init need not read and parse mountinfo again. A controller the container has no
    /// directory for leaves init in the caller's cgroup of that hierarchy.
    static func forContainer(layout: CgroupLayout, paths: [String: String]) -> [CgroupHierarchy] {
        var result: [CgroupHierarchy] = []
        for hierarchy in layout.hierarchies {
            guard let first = hierarchy.controllers.first,
                  let own = paths[first] ?? layout.callerDirectory(for: first) else { continue }
            let subsystems = hierarchy.controllers.map { $0.hasPrefix("name=") ? String($0.dropFirst(5)) : $0 }
            result.append(CgroupHierarchy(mountPoint: hierarchy.mountPoint, ownDirectory: own, subsystems: subsystems))
        }
        return result
    }
}

extension SpecMounter {
    func mountCgroup(_ m: PlannedMount) throws {
        if (try? sys.statfs("/sys/fs/cgroup").type) == FilesystemMagic.cgroup2 {
            try mountCgroup2(m)
        } else {
            try mountCgroup1(m)
        }
    }

    func mountCgroup2(_ m: PlannedMount) throws {
        let target = try openMountpoint(m)
        defer { sys.close(target.fd) }
        do {
            try mount(on: target.fd, "mount", source: m.source, type: "cgroup2",
                      flags: m.options.flags, data: m.options.dataString)
            return
        } catch let error as SyscallError where error.errno == EPERM || error.errno == EBUSY {
            // Without its own cgroup namespace, a user namespace cannot mount cgroup2: show the
            // host's hierarchy, or with a cgroup namespace just this process's part of it.
        }
        var source = "/sys/fs/cgroup"
        if cgroupNamespace, let file = try? sys.readFile("/proc/self/cgroup"),
           let line = file.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) {
            source = LexicalPath.join(source, String(line.dropFirst(3)))
        }
        var options = m.options
        options.flags |= MountFlag.bind
        try bind(PlannedMount(derivedFrom: m, type: "bind", source: source, destination: m.destination, options: options))
    }

    func mountCgroup1(_ m: PlannedMount) throws {
        let hierarchies = try knownCgroupHierarchies ?? CgroupHierarchy.parse(
            mountInfo: try MountInfo.parse(try sys.readFile("/proc/self/mountinfo")),
            cgroupFile: try sys.readFile("/proc/self/cgroup"))

        var tmpfsOptions = MountOptions()
        tmpfsOptions.flags = Self.defaultFlags
        tmpfsOptions.data = ["mode=755"]
        tmpfsOptions.propagation = m.options.propagation
        let tmpfs = PlannedMount(derivedFrom: m, type: "tmpfs", source: "tmpfs", destination: m.destination,
                                 options: tmpfsOptions)
        let tmpfsTarget = try openMountpoint(tmpfs)
        let mounted = try mountFilesystem(tmpfs, on: tmpfsTarget)
        defer { sys.close(mounted.fd) }
        sys.close(tmpfsTarget.fd)

        for hierarchy in hierarchies {
            let destination = LexicalPath.join(m.destination, hierarchy.name)
            try inStage(destination) {
                if cgroupNamespace {
                    try mountHierarchy(hierarchy, in: mounted.fd, readOnly: m.options.isReadOnly)
                } else {
                    var options = m.options
                    options.flags |= MountFlag.bind | MountFlag.recursive
                    try bind(PlannedMount(derivedFrom: m, type: "bind", source: hierarchy.ownDirectory,
                                          destination: destination, options: options))
                }
            }
        }
        for hierarchy in hierarchies where hierarchy.name.contains(",") {
            for controller in hierarchy.name.split(separator: ",") {
                let link = LexicalPath.join(m.destination, String(controller))
                do {
                    try root.symlink(hierarchy.name, at: link)
                } catch let error as SyscallError where error.errno == EEXIST {}
            }
        }
    }

    /// A fresh mount of a v1 hierarchy, named by the directory the host mounts it on, made
    /// right in the tmpfs we just mounted (`tmpfs`: its root), so no path walk is needed.
    func mountHierarchy(_ hierarchy: CgroupHierarchy, in tmpfs: Int32, readOnly: Bool) throws {
        try sys.mkdirat(tmpfs, hierarchy.name, mode: 0o755)
        let dir = try sys.openat(tmpfs, hierarchy.name,
                                 flags: OpenFlag.path | OpenFlag.directory | OpenFlag.noFollow | OpenFlag.closeOnExec, mode: 0)
        defer { sys.close(dir) }
        let isSystemd = hierarchy.name == "systemd"
        try mount(on: dir, "mount", source: isSystemd ? "systemd" : "cgroup", type: "cgroup",
                  flags: Self.defaultFlags | (readOnly ? MountFlag.readOnly : 0),
                  data: isSystemd ? "name=systemd" : hierarchy.name)
    }
}
