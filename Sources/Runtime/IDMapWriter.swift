// Writes the user namespace's uid_map and gid_map for the container's init.
// Root writes both directly. An unprivileged caller (user_namespaces(7)) may write directly
// only one line mapping its own effective id, and for gid_map only after writing "deny" to
// setgroups; anything else (several ranges, other ids) goes through the setuid helpers
// newuidmap/newgidmap, which check /etc/subuid and /etc/subgid.
#if canImport(Glibc)
import Glibc
#endif
import CShims
import Linux
import OCISpec

enum IDMapWriter {
    static func write(pid: Int32, linux: Linux?) throws {
        let uids = linux?.uidMappings ?? [], gids = linux?.gidMappings ?? []
        let privileged = geteuid() == 0
        if privileged || uids.isEmpty || ownIDOnly(uids, geteuid()) {
            try writeMap("/proc/\(pid)/uid_map", uids, field: "linux.uidMappings")
        } else {
            try runHelper("newuidmap", pid: pid, uids, field: "linux.uidMappings")
        }
        if privileged || gids.isEmpty {
            try writeMap("/proc/\(pid)/gid_map", gids, field: "linux.gidMappings")
        } else if ownIDOnly(gids, getegid()) {
            try context("linux.gidMappings") { try FileSystem.writeExisting("/proc/\(pid)/setgroups", "deny") }
            try writeMap("/proc/\(pid)/gid_map", gids, field: "linux.gidMappings")
        } else {
            try runHelper("newgidmap", pid: pid, gids, field: "linux.gidMappings")
        }
    }

    static func render(_ mappings: [LinuxIDMapping]) -> String {
        mappings.map { "\($0.containerID) \($0.hostID) \($0.size)\n" }.joined()
    }

    /// The helpers' argument form: PID then container-id host-id size for each range.
    static func helperArguments(pid: Int32, _ mappings: [LinuxIDMapping]) -> [String] {
        [String(pid)] + mappings.flatMap { [String($0.containerID), String($0.hostID), String($0.size)] }
    }

    /// The one mapping the kernel lets an unprivileged process write itself.
    static func ownIDOnly(_ mappings: [LinuxIDMapping], _ own: UInt32) -> Bool {
        mappings.count == 1 && mappings[0].hostID == own && mappings[0].size == 1
    }

    private static func writeMap(_ path: String, _ mappings: [LinuxIDMapping], field: String) throws {
        guard !mappings.isEmpty else { return }
        try context(field) { try FileSystem.writeExisting(path, render(mappings)) }
    }

    private static func runHelper(_ name: String, pid: Int32, _ mappings: [LinuxIDMapping], field: String) throws {
        let search = ProcessInfo.getenv("PATH").map { $0 + ":/usr/bin:/bin" } ?? "/usr/bin:/bin"
        let path: String
        do { path = try ExecutableLookup.find(name, path: search, cwd: "/") } catch {
            throw RuntimeError("\(field): mapping several ranges without root needs \(name) (Debian package uidmap): \(error)")
        }
        var pipeFDs: [Int32] = [-1, -1]
        try check("pipe2", path: name) { sl_pipe2(&pipeFDs, O_CLOEXEC) }
        let argv = CStringArray([name] + helperArguments(pid: pid, mappings))
        let envp = CStringArray(["PATH=/usr/sbin:/usr/bin:/sbin:/bin"])
        let child = argv.withPointer { a in envp.withPointer { e in sl_spawn_path(path, a, e, -1, pipeFDs[1], pipeFDs[1]) } }
        close(pipeFDs[1])
        if child < 0 { close(pipeFDs[0]); throw SyscallError("fork", path: path) }
        let output = (try? FileSystem.readAll(fd: pipeFDs[0], path: name)) ?? []
        close(pipeFDs[0])
        let text = String(decoding: output.prefix(2048), as: UTF8.self).split(separator: "\n").joined(separator: " ")
        guard let (_, status) = try ProcessInfo.wait(pid: child) else { throw RuntimeError("\(field): \(name): no exit status") }
        if status != .exited(0) {
            throw RuntimeError("\(field): \(path) \(helperArguments(pid: pid, mappings).joined(separator: " ")) failed (\(status)): \(text)")
        }
    }
}
