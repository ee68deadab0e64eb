// /proc/self/mountinfo, parsed: which mounts exist, their roots, types and options.
// Format (proc(5)): `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`

public struct MountInfoEntry: Equatable, Sendable {
    public var id: Int
    public var parentID: Int
    public var root: String          // the path inside the filesystem this mount shows
    public var mountPoint: String
    public var mountOptions: String  // per-mount options (rw,nosuid,...)
    public var optionalFields: [String]
    public var fsType: String
    public var source: String
    public var superOptions: String  // per-superblock options (rw,memory for a cgroup v1)

    public init(id: Int, parentID: Int, root: String, mountPoint: String, mountOptions: String,
                optionalFields: [String], fsType: String, source: String, superOptions: String) {
        self.id = id; self.parentID = parentID; self.root = root; self.mountPoint = mountPoint
        self.mountOptions = mountOptions; self.optionalFields = optionalFields; self.fsType = fsType
        self.source = source; self.superOptions = superOptions
    }
}

public enum MountInfo {
    /// Parses the text of a mountinfo file; malformed lines are an error naming the line.
    public static func parse(_ text: String) throws -> [MountInfoEntry] {
        var entries: [MountInfoEntry] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard let dash = fields.firstIndex(of: "-"), dash >= 6, fields.count >= dash + 3,
                  let id = Int(fields[0]), let parent = Int(fields[1]) else {
                throw PathInRootError(path: "/proc/self/mountinfo", reason: "malformed line \(number + 1): \(line)")
            }
            entries.append(MountInfoEntry(
                id: id, parentID: parent, root: unescape(fields[3]), mountPoint: unescape(fields[4]),
                mountOptions: fields[5], optionalFields: Array(fields[6..<dash]),
                fsType: fields[dash + 1], source: unescape(fields[dash + 2]),
                superOptions: fields.count > dash + 3 ? fields[dash + 3] : ""))
        }
        return entries
    }

    /// The kernel writes space, tab, newline and backslash in paths as octal escapes (`\040`).
    public static func unescape(_ field: String) -> String {
        guard field.contains("\\") else { return field }
        var bytes: [UInt8] = []
        let utf8 = Array(field.utf8)
        var i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "\\"), i + 3 < utf8.count,
               let value = octal(utf8[(i + 1)...(i + 3)]) {
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
        var value: UInt16 = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "7") else { return nil }
            value = value * 8 + UInt16(digit - UInt8(ascii: "0"))
        }
        return value <= 255 ? UInt8(value) : nil
    }
}
