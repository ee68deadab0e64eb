// Descriptors that wake a waiter when a container runs out of memory.
#if canImport(Glibc)
import Glibc
#endif
import CShims
import Linux

enum OOMEvents {
    /// v1: an eventfd registered through cgroup.event_control for memory.oom_control; each
    /// OOM event adds to its counter.
    static func registerV1(_ dir: String) throws -> Int32 {
        let eventFD = swiftlet_eventfd(0, O_CLOEXEC)  // EFD_CLOEXEC == O_CLOEXEC
        if eventFD < 0 { throw SyscallError("eventfd") }
        let controlPath = CgroupFiles.join(dir, "memory.oom_control")
        let controlFD = open(controlPath, O_RDONLY | O_CLOEXEC)
        if controlFD < 0 {
            let error = SyscallError("open", path: controlPath)
            close(eventFD)
            throw error
        }
        // The kernel keeps its own reference to the control file once registered.
        defer { close(controlFD) }
        do {
            try CgroupFiles.write(dir, "cgroup.event_control", "\(eventFD) \(controlFD)")
        } catch {
            close(eventFD)
            throw error
        }
        return eventFD
    }

    /// v2: inotify on memory.events, which the kernel rewrites (IN_MODIFY) on every event.
    static func watchV2(_ dir: String) throws -> Int32 {
        let fd = inotify_init1(Int32(IN_CLOEXEC))
        if fd < 0 { throw SyscallError("inotify_init1") }
        let path = CgroupFiles.join(dir, "memory.events")
        if inotify_add_watch(fd, path, UInt32(IN_MODIFY)) < 0 {
            let error = SyscallError("inotify_add_watch", path: path)
            close(fd)
            throw error
        }
        return fd
    }
}
