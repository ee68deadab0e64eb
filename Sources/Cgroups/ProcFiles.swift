// The parser for /proc/self/cgroup, pure so tests can feed it text (mountinfo is Linux.MountInfo).

import Linux

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
        // Split on bytes: Character-wise splitting ran grapheme breaking over the whole file.
        for line in text.utf8.split(separator: UInt8(ascii: "\n")) {
            // The path may itself contain ':', so split at the first two only.
            let parts = line.split(separator: UInt8(ascii: ":"), maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, let id = decimalValue(parts[0]).flatMap({ Int(exactly: $0) }) else {
                throw CgroupError("invalid /proc/self/cgroup line \"\(Substring(line))\": want hierarchy-ID:controllers:path")
            }
            let controllers = parts[1].split(separator: UInt8(ascii: ",")).map { String(Substring($0)) }
            entries.append(ProcCgroupEntry(hierarchyID: id, controllers: controllers, path: String(Substring(parts[2]))))
        }
        return entries
    }
}
