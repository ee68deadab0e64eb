// Parsers for /proc/self/mountinfo and /proc/self/cgroup, pure so tests can feed them text.

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
        var entries: [MountInfoEntry] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
            guard let dash = fields.firstIndex(of: "-"), dash >= 6, fields.count > dash + 1 else { continue }
            let fsType = String(fields[dash + 1])
            let superOptions = fields.count > dash + 3 ? fields[dash + 3].split(separator: ",").map(String.init) : []
            entries.append(MountInfoEntry(
                root: unescapeOctal(fields[3]),
                mountPoint: unescapeOctal(fields[4]),
                fsType: fsType,
                superOptions: superOptions))
        }
        return entries
    }

    /// mountinfo escapes space, tab, newline and backslash as \ooo.
    static func unescapeOctal(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        let utf8 = Array(field.utf8)
        var i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "\\"), i + 4 <= utf8.count, let value = octal(utf8[(i + 1)..<(i + 4)]) {
                bytes.append(value)
                i += 4
            } else {
                bytes.append(utf8[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func octal(_ digits: ArraySlice<UInt8>) -> UInt8? {
        guard digits.count == 3 else { return nil }
        var value = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "7") else { return nil }
            value = value * 8 + Int(digit - UInt8(ascii: "0"))
        }
        return value <= 255 ? UInt8(value) : nil
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
