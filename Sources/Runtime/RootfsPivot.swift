// Making the prepared rootfs the process's `/`.
#if canImport(Glibc)
import Glibc
#endif
import Linux

extension RootfsSetup {
    /// pivot_root into the rootfs (or, with `noPivot`, MS_MOVE it onto `/` and chroot; without
    /// a mount namespace, chroot alone), leaving cwd at the new `/`. Then applies a shared or
    /// unbindable rootfsPropagation (private and slave were applied by prepare()) and, when
    /// /dev was set up, points stdio that was the host's /dev/null at the container's.
    public func pivot(noPivot: Bool) throws {
        let rootfs = rootfsPath
        let root = try inStage("pivot_root", rootfs) { try RootHandle(opening: rootfs, syscalls: sys) }
        defer { root.close() }
        if !namespaceTypes.contains("mount") {
            // Nothing was mounted (it would have been in the host's namespace, outliving the
            // container), and `/`'s propagation is the host's: the chroot is all there is.
            return try inStage("chroot", rootfs) { try chroot(into: root) }
        }
        let propagation = try rootPropagation()
        if noPivot, let flags = propagation, flags & MountFlag.private != 0 {
            throw RootfsError(stage: "linux.rootfsPropagation", underlying: RootfsViolation(
                "rootfsPropagation of [r]private is not safe without pivot_root"))
        }
        if noPivot {
            try inStage("no-pivot", rootfs) { try moveRoot(root) }
        } else {
            try inStage("pivot_root", rootfs) { try pivotRoot(root) }
        }
        if let flags = propagation, flags & (MountFlag.private | MountFlag.slave) == 0 {
            try inStage("rootfsPropagation", "/") {
                try sys.mount(source: nil, target: "/", type: nil, flags: flags, data: nil)
            }
        }
        if setsUpDev {
            try inStage("/dev/null") { try reopenDevNull() }
        }
    }

    /// pivot_root(".", ".") stacks the old root on top of the new one, both at `/`: no
    /// directory for the old root is needed in the image. The old root is then unmounted
    /// (detached: it is still our cwd), after making it slave so the unmount does not
    /// propagate to the host.
    func pivotRoot(_ root: RootHandle) throws {
        let oldRoot = try sys.openat(AtFlag.fdcwd, "/", flags: OpenFlag.path | OpenFlag.directory | OpenFlag.closeOnExec, mode: 0)
        defer { sys.close(oldRoot) }
        try sys.fchdir(root.fd)
        try sys.pivotRoot(newRoot: ".", putOld: ".")
        try sys.fchdir(oldRoot)
        try sys.mount(source: nil, target: ".", type: nil, flags: MountFlag.slave | MountFlag.recursive, data: nil)
        try sys.unmount(".", flags: UnmountFlag.detach)
        try sys.chdir("/")
    }

    /// --no-pivot: the host's root stays reachable under the container's, so full proc and
    /// sysfs mounts of the host (which would let the container mount a fresh procfs) are
    /// unmounted first, or covered with a tmpfs where they cannot be.
    func moveRoot(_ root: RootHandle) throws {
        let entries = try MountInfo.parse(try sys.readFile("/proc/self/mountinfo"))
        for entry in entries where entry.root == "/" && (entry.fsType == "proc" || entry.fsType == "sysfs")
            && !LexicalPath.isInside(root.path, entry.mountPoint) {
            do {
                try sys.mount(source: nil, target: entry.mountPoint, type: nil,
                              flags: MountFlag.slave | MountFlag.recursive, data: nil)
            } catch let error as SyscallError where error.errno == ENOENT {
                continue  // under a mount already gone
            }
            do {
                try sys.unmount(entry.mountPoint, flags: UnmountFlag.detach)
            } catch let error as SyscallError where error.errno == EINVAL || error.errno == EPERM {
                try sys.mount(source: "tmpfs", target: entry.mountPoint, type: "tmpfs", flags: 0, data: nil)
            }
        }
        try sys.fchdir(root.fd)
        try sys.mount(source: root.path, target: "/", type: nil, flags: MountFlag.move, data: nil)
        try sys.chroot(".")
        try sys.chdir("/")
    }

    func chroot(into root: RootHandle) throws {
        try sys.fchdir(root.fd)
        try sys.chroot(".")
        try sys.chdir("/")
    }

    /// stdio the parent set to its /dev/null would otherwise keep a host file open.
    func reopenDevNull() throws {
        let devNull = try openDevNull(flags: OpenFlag.readWrite)
        defer { sys.close(devNull) }
        for fd: Int32 in 0...2 {
            guard let st = try? sys.fstat(fd) else { continue }
            if Self.isDevNull(st) { try sys.dup3(devNull, fd) }
        }
    }

    /// /dev/null of the current root, checked to really be the 1:3 character device.
    func openDevNull(flags: Int32) throws -> Int32 {
        let fd = try sys.openat(AtFlag.fdcwd, "/dev/null", flags: flags | OpenFlag.closeOnExec, mode: 0)
        guard let st = try? sys.fstat(fd), Self.isDevNull(st) else {
            sys.close(fd)
            throw RootfsViolation("/dev/null is not the null device")
        }
        return fd
    }

    static func isDevNull(_ st: FileStat) -> Bool {
        st.type == FileType.character && st.rdev == DeviceNumber.make(major: 1, minor: 3)
    }
}
