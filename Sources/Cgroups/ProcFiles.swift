// The parser for /proc/self/cgroup, pure so tests can feed it text (mountinfo is Linux.MountInfo).

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
