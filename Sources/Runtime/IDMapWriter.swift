// Writes the user namespace's uid_map and gid_map for the container's init.
import Linux
import OCISpec

enum IDMapWriter {
    static func write(pid: Int32, linux: Linux?) throws {
        try writeMap("/proc/\(pid)/uid_map", linux?.uidMappings ?? [], field: "linux.uidMappings")
        try writeMap("/proc/\(pid)/gid_map", linux?.gidMappings ?? [], field: "linux.gidMappings")
    }

    static func render(_ mappings: [LinuxIDMapping]) -> String {
        mappings.map { "\($0.containerID) \($0.hostID) \($0.size)\n" }.joined()
    }

    private static func writeMap(_ path: String, _ mappings: [LinuxIDMapping], field: String) throws {
        guard !mappings.isEmpty else { return }
        try context(field) { try FileSystem.writeExisting(path, render(mappings)) }
    }
}
