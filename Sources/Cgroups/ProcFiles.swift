// Parsers for /proc/self/mountinfo and /proc/self/cgroup, pure so tests can feed them text.
import Linux

/// One line of /proc/<pid>/mountinfo, the fields the cgroup code needs.
public struct MountInfoEntry: Equatable, Sendable {
    /// The directory of the filesystem that is mounted (for cgroupfs: the cgroup the mount
    /// is rooted at, "/" outside of cgroup namespaces and nested containers).
    public var root: String
    public var mountPoint: String
    public var fsType: String
    /// Per-superblock options; for cgroup v1 these name the controllers ("rw,cpu,cpuacct").
    public var superOptions: [String]

    public init(root: String, mountPoint: String, fsType: String, superOptions: [String]) {
        self.root = root
        self.mountPoint = mountPoint
        self.fsType = fsType
        self.superOptions = superOptions
    }

    /// Parses mountinfo text; malformed lines are skipped (the kernel does not write them).
    public static func parse(_ text: String) -> [MountInfoEntry] {
        MountInfo.parseSkippingMalformed(text).map {
            MountInfoEntry(root: $0.root, mountPoint: $0.mountPoint, fsType: $0.fsType,
                           superOptions: $0.superOptions.split(separator: ",").map(String.init))
        }
    }
}

/// One line of /proc/<pid>/cgroup: `hierarchy-ID:controller-list:cgroup-path`.
public struct ProcCgroupEntry: Equatable, Sendable {
    public var hierarchyID: Int
    /// Controllers of a v1 hierarchy ("cpu", "cpuacct", "name=systemd"); empty for cgroup v2.
    public var controllers: [String]
    public var path: String

    public init(hierarchyID: Int, controllers: [String], path: String) {
        self.hierarchyID = hierarchyID
        self.controllers = controllers
        self.path = path
    }

    public static func parse(_ text: String) throws -> [ProcCgroupEntry] {
        var entries: [ProcCgroupEntry] = []
        for line in text.split(separator: "\n") where !line.isEmpty {
            // The path may itself contain ':', so split at the first two only.
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let id = Int(parts[0]) else {
                throw CgroupError("invalid /proc/self/cgroup line \"\(line)\": want hierarchy-ID:controllers:path")
            }
            let controllers = parts[1].isEmpty ? [] : parts[1].split(separator: ",").map(String.init)
            entries.append(ProcCgroupEntry(hierarchyID: id, controllers: controllers, path: String(parts[2])))
        }
        return entries
    }
}
