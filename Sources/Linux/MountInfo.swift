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
        var number = 0
        for line in lines(text) {
            number += 1
            guard let entry = entry(line) else {
                throw PathInRootError(path: "/proc/self/mountinfo",
                                      reason: "malformed line \(number): \(String(decoding: line, as: UTF8.self))")
            }
            entries.append(entry)
        }
        return entries
    }

    /// The same, skipping lines that are not well formed (the kernel never writes one).
    public static func parseSkippingMalformed(_ text: String) -> [MountInfoEntry] {
        lines(text).compactMap(entry)
    }

    /// The same, keeping only mounts of `fsTypes`: the other lines are never made into entries
    /// (the cgroup layout wants 10 lines of a host's 30 to 300).
    public static func parseSkippingMalformed(_ text: String, fsTypes: [String]) -> [MountInfoEntry] {
        let wanted = fsTypes.map { Array($0.utf8) }
        return lines(text).compactMap { line in
            guard let type = fsTypeField(line), wanted.contains(where: { $0.elementsEqual(type) }) else { return nil }
            return entry(line)
        }
    }

    /// The filesystem type: the field after the lone `-` that ends the optional fields.
    private static func fsTypeField(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        let space = UInt8(ascii: " ")
        var index = line.startIndex
        while index < line.endIndex {
            guard let dash = line[index...].firstIndex(of: UInt8(ascii: "-")) else { return nil }
            let after = line.index(after: dash)
            if dash > line.startIndex, line[line.index(before: dash)] == space, after < line.endIndex, line[after] == space {
                let start = line.index(after: after)
                let end = line[start...].firstIndex(of: space) ?? line.endIndex
                return line[start..<end]
            }
            index = after
        }
        return nil
    }

    // Split on bytes, not Characters: the file is ASCII apart from escaped paths, and
    // grapheme-aware splitting costs more than the whole rest of a create's parsing.
    private static func lines(_ text: String) -> [ArraySlice<UInt8>] {
        Array(text.utf8).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
    }

    private static func entry(_ line: ArraySlice<UInt8>) -> MountInfoEntry? {
        let fields = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
        guard let dash = fields.firstIndex(where: { $0.count == 1 && $0.first == UInt8(ascii: "-") }),
              dash >= 6, fields.count >= dash + 3,
              let id = decimalValue(fields[0]).flatMap({ Int(exactly: $0) }),
              let parent = decimalValue(fields[1]).flatMap({ Int(exactly: $0) }) else { return nil }
        return MountInfoEntry(
            id: id, parentID: parent, root: unescape(text(fields[3])), mountPoint: unescape(text(fields[4])),
            mountOptions: text(fields[5]), optionalFields: fields[6..<dash].map(text),
            fsType: text(fields[dash + 1]), source: unescape(text(fields[dash + 2])),
            superOptions: fields.count > dash + 3 ? text(fields[dash + 3]) : "")
    }

    private static func text(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// The kernel writes space, tab, newline and backslash in paths as octal escapes (`\040`).
    public static func unescape(_ field: String) -> String {
        guard field.utf8.contains(UInt8(ascii: "\\")) else { return field }
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
