// A /proc/PID/uid_map or gid_map, read: the lines "inside-id outside-id count".
import OCISpec

struct IDRanges {
    let mappings: [LinuxIDMapping]

    init(mapFile text: String) {
        mappings = text.split(separator: "\n").compactMap { line in
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { UInt32($0) }
            return f.count == 3 ? LinuxIDMapping(containerID: f[0], hostID: f[1], size: f[2]) : nil
        }
    }

    func containsInside(_ id: UInt32) -> Bool {
        mappings.contains { id >= $0.containerID && UInt64(id) - UInt64($0.containerID) < UInt64($0.size) }
    }

    /// The initial user namespace maps every id to itself: "0 0 4294967295".
    static func isIdentity(mapFile text: String) -> Bool {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
        return fields == ["0", "0", "4294967295"]
    }
}
