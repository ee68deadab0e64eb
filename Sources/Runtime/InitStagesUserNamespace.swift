// Init stages that matter most to rootless containers: a new network namespace's loopback
// (runc brings it up), and supplementary groups in a user namespace whose setgroups is denied.
#if canImport(Glibc)
import Glibc
#endif
import Linux

extension InitStages {
    /// A new network namespace starts with `lo` down; up, 127.0.0.1 and ::1 work.
    static func bringUpLoopback(_ c: InitContext) throws {
        try InterfaceFlags.bringUp("lo")
    }

    /// An unprivileged parent maps our gid itself only after writing "deny" to setgroups:
    /// then setgroups(2) fails, and with no supplementary groups asked for there is nothing
    /// to change: the process keeps the groups it came with (shown as the overflow gid), as
    /// under runc.
    static func setGroupsUnlessDenied(_ gids: [UInt32]) throws {
        // Tried first: /proc/self/setgroups is only read when the kernel refuses (EPERM), which
        // is what "deny" makes it do.
        do {
            try Credentials.setGroups(gids)
            return
        } catch let error as SyscallError where error.errno == EPERM {
            let denied = (try? FileSystem.readText("/proc/self/setgroups"))?.hasPrefix("deny") ?? false
            if !denied { throw error }
            if gids.isEmpty { return }
            throw RuntimeError("cannot set supplementary groups \(gids): setgroups is denied in this user namespace (a rootless single-id gid mapping; map a range with newgidmap through /etc/subgid)")
        }
    }
}
