// Where a container's cgroups go, following runc's cgroupfs driver (runc 1.5,
// libcontainer/specconv + opencontainers/cgroups fs/paths.go and fs2/defaultpath.go):
// - no linux.cgroupsPath: the container ID, as a relative path;
// - a relative path: v1, below the caller's own cgroup in each hierarchy; cgroup v2 (unified
//   mode), below the PARENT of the caller's cgroup, because the caller's cgroup holds
//   processes and so cannot enable controllers for children;
// - an absolute path: below each hierarchy's mount point.
// Hybrid mode adds the cgroup2 directory under key "": for relative paths we place it below
// the caller's `0::` cgroup (runc places it below the cgroup2 mount point regardless; both
// agree when the caller sits at "/", as it does here).
// Paths are cleaned lexically first, and a relative path can never climb out with "..".

import Linux

public enum CgroupPath {
    /// v1 subsystems a container joins, in runc's order. Unmounted ones are skipped, except
    /// devices: without it the container's device access is unrestricted.
    public static let v1Subsystems = [
        "cpuset", "devices", "memory", "cpu", "cpuacct", "pids", "blkio", "hugetlb", "net_cls",
        "net_prio", "perf_event", "freezer", "rdma", "name=systemd", "misc",
    ]

    /// Resolves the container's cgroup directories: controller → absolute directory, with ""
    /// for the cgroup2 directory (the only key in unified mode).
    public static func resolve(cgroupsPath: String?, containerID: String, layout: CgroupLayout) throws -> [String: String] {
        let given = cgroupsPath ?? ""
        let inner = given.isEmpty ? clean(containerID) : clean(given)
        if inner.isEmpty || inner == "/" {
            throw CgroupError(field: given.isEmpty ? nil : "linux.cgroupsPath",
                              "cgroup path \"\(given.isEmpty ? containerID : given)\" names no cgroup below the hierarchy root")
        }
        let absolute = inner.hasPrefix("/")
        var paths: [String: String] = [:]

        if layout.mode == .unified {
            guard let mountPoint = layout.unifiedMountPoint else {
                throw CgroupError("cgroup v2 mount point not found")
            }
            if absolute {
                paths[""] = join(mountPoint, inner)
            } else {
                let caller = relative(layout.callerCgroups[""] ?? "/", to: layout.unifiedRoot)
                paths[""] = join(join(mountPoint, parent(caller)), inner)
            }
            return paths
        }

        for subsystem in v1Subsystems {
            guard let hierarchy = layout.hierarchy(for: subsystem) else {
                if subsystem == "devices" {
                    throw CgroupError("the devices cgroup controller is not mounted: refusing to create a container without device restrictions")
                }
                continue
            }
            if absolute {
                paths[subsystem] = join(hierarchy.mountPoint, inner)
            } else {
                paths[subsystem] = join(layout.callerDirectory(for: subsystem) ?? hierarchy.mountPoint, inner)
            }
        }
        if layout.mode == .hybrid, let mountPoint = layout.unifiedMountPoint {
            paths[""] = absolute ? join(mountPoint, inner) : join(layout.callerDirectory(for: "") ?? mountPoint, inner)
        }
        return paths
    }

    /// Lexical clean like Go's filepath.Clean; a relative path is cleaned as if rooted so
    /// that ".." cannot climb above it, and stays relative.
    public static func clean(_ path: String) -> String {
        if path.isEmpty { return "" }
        return path.utf8.first == UInt8(ascii: "/") ? LexicalPath.clean(path) : LexicalPath.relative(path)
    }

    static func join(_ base: String, _ rest: String) -> String {
        // On bytes: a Character-wise drop and String + Substring took the runtime's generic
        // paths (type lookups by mangled name, conformance scans) on every cgroup path.
        let bytes = rest.utf8
        guard let start = bytes.firstIndex(where: { $0 != UInt8(ascii: "/") }) else { return base }
        var joined = base
        if base.utf8.last != UInt8(ascii: "/") { joined += "/" }
        joined.append(contentsOf: Substring(bytes[start...]))
        return joined
    }

    /// `cgroup` as seen below a mount rooted at `root`.
    static func relative(_ cgroup: String, to root: String) -> String {
        if root == "/" || root.isEmpty { return cgroup }
        if cgroup == root { return "/" }
        if cgroup.hasPrefix(root + "/") { return String(cgroup.dropFirst(root.count)) }
        return cgroup
    }

    static func parent(_ path: String) -> String {
        let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        guard let slash = trimmed.lastIndex(of: "/") else { return "/" }
        if slash == trimmed.startIndex { return "/" }
        return String(trimmed[..<slash])
    }
}
