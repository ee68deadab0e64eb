// After pivot_root, in the container's root: the read-only parts.
#if canImport(Glibc)
import Glibc
#endif
import Linux

extension RootfsSetup {
    /// A missing process.cwd (made while the root is still writable), read-only remounts of
    /// the ro tmpfs and /dev mounts (mounted writable by prepare), their recursive attributes,
    /// root.readonly, linux.readonlyPaths, then linux.maskedPaths.
    public func finalize() throws {
        // runc creates a missing cwd (0755, as the container's root) and ctr relies on it:
        // `ctr run --cwd /new/dir`. After pivot_root the path cannot leave the container.
        if let cwd = spec.process?.cwd, cwd.hasPrefix("/"), cwd != "/" {
            try inStage("process.cwd", cwd) { try makeDirectories(cwd) }
        }
        for m in try plannedMounts() where m.readOnlyDeferred {
            try inStage("mounts[\(m.index)]", m.subject) {
                if m.options.isReadOnly { try remountReadOnly(m.destination, flags: m.options.flags) }
                if m.options.hasRecursiveAttributes {
                    try sys.mountSetattr(dirfd: AtFlag.fdcwd, path: m.destination, flags: AtFlag.recursive,
                                         attributes: MountAttributes(set: m.options.recursiveSet,
                                                                     clear: m.options.recursiveClear))
                }
            }
        }
        if spec.root?.readonly == true {
            try inStage("root.readonly", "/") { try remountRootReadOnly() }
        }
        for (index, path) in (spec.linux?.readonlyPaths ?? []).enumerated() {
            try inStage("linux.readonlyPaths[\(index)]", path) { try makeReadOnly(path) }
        }
        if let masked = spec.linux?.maskedPaths, !masked.isEmpty {
            try mask(masked)
        }
    }

    /// mkdir -p, in the container's root: existing components (directories, or symlinks the
    /// next mkdir follows) are fine.
    func makeDirectories(_ path: String) throws {
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            do {
                try sys.mkdirat(AtFlag.fdcwd, prefix, mode: 0o755)
            } catch let error as SyscallError where error.errno == EEXIST {}
        }
    }

    /// MS_REMOUNT|MS_BIND changes only the mount's flags, which a user namespace may do as
    /// long as no locked flag is dropped; the mount's own flags are passed again so none is.
    func remountReadOnly(_ destination: String, flags: UInt) throws {
        let all = flags | MountFlag.remount | MountFlag.bind | MountFlag.readOnly
        var attempt = 0
        while true {
            do {
                try sys.mount(source: nil, target: destination, type: nil, flags: all, data: nil)
                return
            } catch let error as SyscallError where error.errno == EBUSY && attempt < 4 {
                attempt += 1
                usleep(100_000)
            }
        }
    }

    func remountRootReadOnly() throws {
        let flags = MountFlag.bind | MountFlag.remount | MountFlag.readOnly
        do {
            try sys.mount(source: nil, target: "/", type: nil, flags: flags, data: nil)
        } catch {
            // Refused for dropping a locked flag: keep what `/` has.
            let current = StatfsFlag.mountFlags(try sys.statfs("/").flags) & MountFlag.lockable
            try sys.mount(source: nil, target: "/", type: nil, flags: flags | current, data: nil)
        }
    }

    /// A bind of the path onto itself, remounted read-only with its nosuid/nodev/noexec kept.
    /// A missing path is skipped.
    func makeReadOnly(_ path: String) throws {
        let fd: Int32
        do {
            fd = try sys.openat(AtFlag.fdcwd, path, flags: OpenFlag.path | OpenFlag.closeOnExec, mode: 0)
        } catch let error as SyscallError where error.errno == ENOENT {
            return
        }
        defer { sys.close(fd) }
        if try bindByClone(fd, onto: fd, recursive: true, readOnly: true) { return }
        try sys.mount(on: fd, "bind", source: sys.procfd(fd), type: nil,
                      flags: MountFlag.bind | MountFlag.recursive, data: nil)
        let mounted = try sys.openat(AtFlag.fdcwd, path, flags: OpenFlag.path | OpenFlag.closeOnExec, mode: 0)
        defer { sys.close(mounted) }
        let kept = UInt(try sys.fstatfs(mounted).flags & (StatfsFlag.noSuid | StatfsFlag.noDev | StatfsFlag.noExec))
        try sys.mount(on: mounted, "remount read-only", source: nil, type: nil,
                      flags: kept | MountFlag.bind | MountFlag.remount | MountFlag.readOnly, data: nil)
    }

    /// Files get /dev/null bound over them, directories an empty read-only tmpfs. The first
    /// such tmpfs is bound over the other directories instead of mounting one each. Missing
    /// paths and repeats are skipped.
    func mask(_ paths: [String]) throws {
        let devNull = try inStage("linux.maskedPaths", "/dev/null") { try openDevNull(flags: OpenFlag.path) }
        defer { sys.close(devNull) }
        var sharedMask: Int32?
        var sharedMaskFailed = false
        defer { if let fd = sharedMask { sys.close(fd) } }
        var done: [String] = []
        for (index, path) in paths.enumerated() {
            let clean = LexicalPath.clean(path)
            if done.contains(clean) { continue }
            done.append(clean)
            try inStage("linux.maskedPaths[\(index)]", path) {
                let fd: Int32
                do {
                    fd = try sys.openat(AtFlag.fdcwd, path, flags: OpenFlag.path | OpenFlag.closeOnExec, mode: 0)
                } catch let error as SyscallError where error.errno == ENOENT {
                    return
                }
                defer { sys.close(fd) }
                guard try sys.fstat(fd).isDirectory else {
                    if try bindByClone(devNull, onto: fd, recursive: false, readOnly: false) { return }
                    try sys.mount(on: fd, "bind /dev/null", source: sys.procfd(devNull), type: nil,
                                  flags: MountFlag.bind, data: nil)
                    return
                }
                if let shared = sharedMask, !sharedMaskFailed {
                    do {
                        if try bindByClone(shared, onto: fd, recursive: false, readOnly: false) { return }
                        try sys.mount(on: fd, "bind mask", source: sys.procfd(shared), type: nil,
                                      flags: MountFlag.bind, data: nil)
                        return
                    } catch {
                        sharedMaskFailed = true
                    }
                }
                try maskDirectory(fd)
                if sharedMask == nil {
                    sharedMask = try sys.openat(AtFlag.fdcwd, path, flags: OpenFlag.path | OpenFlag.closeOnExec, mode: 0)
                }
            }
        }
    }

    /// A bind mount through the new mount API: a detached clone of the mount `source` refers
    /// to, made read-only when asked (its other flags stay as they are), attached on `target`;
    /// both O_PATH fds. Neither side goes through a /proc/self/fd path, and no remount follows
    /// (~12 µs less a bind here). False when this kernel lacks open_tree(2) or mount_setattr(2)
    /// (before 5.2 or 5.12): the caller binds the old way.
    func bindByClone(_ source: Int32, onto target: Int32, recursive: Bool, readOnly: Bool) throws -> Bool {
        let tree: Int32
        do {
            tree = try sys.cloneMount(source, recursive: recursive)
        } catch let error as SyscallError where error.errno == ENOSYS {
            return false
        }
        defer { sys.close(tree) }
        if readOnly {
            do {
                try sys.mountSetattr(dirfd: tree, path: "", flags: UInt32(AtFlag.emptyPath),
                                     attributes: MountAttributes(set: MountAttribute.readOnly))
            } catch let error as SyscallError where error.errno == ENOSYS {
                return false
            }
        }
        try sys.moveMount(tree, onto: target)
        return true
    }

    func maskDirectory(_ fd: Int32) throws {
        do {
            try sys.mount(on: fd, "mount tmpfs", source: "tmpfs", type: "tmpfs", flags: MountFlag.readOnly,
                          data: "nr_blocks=1,nr_inodes=1")
        } catch {
            // Some distribution kernels refuse nr_inodes below 2.
            try sys.mount(on: fd, "mount tmpfs", source: "tmpfs", type: "tmpfs", flags: MountFlag.readOnly,
                          data: "nr_blocks=1,nr_inodes=2")
        }
    }
}
