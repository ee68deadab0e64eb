// Mounting one config.json mount into the rootfs. The destination is resolved inside the
// rootfs (RootHandle) into an O_PATH fd and every mount(2) targets /proc/self/fd/N of that fd,
// never a path string a symlink could redirect. A mount is then reopened by the same in-root
// path to reach the new mount on top (the fd still holds the directory underneath) before its
// flags, propagation or recursive attributes are changed.
#if canImport(Glibc)
import Glibc
#endif
import Linux

struct SpecMounter {
    let sys: MountSyscalls
    let root: RootHandle
    let userNamespace: Bool
    let cgroupNamespace: Bool
    /// The v1 hierarchies to show at a cgroup mount, when the parent sent them.
    var knownCgroupHierarchies: [CgroupHierarchy]?
    var idmappedSources: [Int: Int32] = [:]

    /// nosuid,nodev,noexec: the flags runc's own helper mounts get.
    static let defaultFlags = MountFlag.noSuid | MountFlag.noDev | MountFlag.noExec

    func mount(_ m: PlannedMount) throws {
        switch m.type {
        case "sysfs":
            try mountSysfsOrBindHost(m)
        case "devpts" where userNamespace:
            let adapted = devptsForUserNamespace(m)
            let target = try openMountpoint(adapted)
            defer { sys.close(target.fd) }
            try mountFilesystemAndClose(adapted, on: target)
        case "proc":
            let target = try openPseudoFilesystemTarget(m)
            defer { sys.close(target.fd) }
            try mountFilesystemAndClose(m, on: target)
        case "bind":
            try bind(m)
        case "cgroup":
            try mountCgroup(m)
        case "tmpfs" where m.options.copyUp:
            try mountTmpfsCopyUp(m)
        default:
            let target = try openMountpoint(m)
            defer { sys.close(target.fd) }
            try mountFilesystemAndClose(m, on: target)
        }
    }

    // MARK: targets

    /// A resolved mount point: its O_PATH fd and where it really is inside the rootfs.
    struct Target {
        let fd: Int32
        let path: String
        /// Whether the mount point was there before (rather than made for this mount).
        var existed = true
    }

    /// Opens (creating when missing) the mount point of `m` inside the rootfs: an empty file
    /// for a bind of a file, a directory otherwise.
    func openMountpoint(_ m: PlannedMount) throws -> Target {
        let destination = m.destination
        let fd: Int32
        var known: String?
        var existed = true
        do {
            (fd, known) = try root.openLocated(destination)
        } catch let error as SyscallError where error.errno == ENOENT {
            existed = false
            var sourceIsFile = false
            if m.isBind {
                sourceIsFile = !(try sys.stat(m.source).isDirectory)
            }
            if sourceIsFile {
                fd = try root.createFile(destination)
            } else {
                (fd, known) = try root.mkdirAllLocated(destination, knownMissing: true)
            }
        }
        do {
            let inside = try known ?? root.insidePath(of: fd, for: destination)
            if inside == "/" {
                throw RootfsViolation("mountpoint \(destination) is the top of the rootfs")
            }
            try checkProcMount(m, at: inside)
            return Target(fd: fd, path: inside, existed: existed)
        } catch {
            sys.close(fd)
            throw error
        }
    }

    /// proc and sysfs go on a real directory: a symlink there could point the fresh procfs
    /// anywhere (CVE-2019-16884), so the last component is not followed.
    func openPseudoFilesystemTarget(_ m: PlannedMount) throws -> Target {
        let (parent, name, parentInside) = try root.parentAndNameLocated(m.destination)
        defer { sys.close(parent) }
        do {
            let st = try sys.fstatat(parent, name, flags: AtFlag.symlinkNoFollow)
            guard st.isDirectory else {
                throw RootfsViolation("filesystem \"\(m.type)\" must be mounted on ordinary directory")
            }
        } catch let error as SyscallError where error.errno == ENOENT {
            try sys.mkdirat(parent, name, mode: 0o755)
        }
        let fd = try sys.openat2(parent, name, flags: OpenFlag.path | OpenFlag.directory | OpenFlag.closeOnExec,
                                 mode: 0, resolve: ResolveFlag.beneath | ResolveFlag.noSymlinks | ResolveFlag.noMagicLinks)
        do {
            // Opened beneath the parent with no symlink: the parent's place and the name.
            let inside = try parentInside.map { LexicalPath.join($0, name) } ?? root.insidePath(of: fd, for: m.destination)
            try checkProcMount(m, at: inside)
            return Target(fd: fd, path: inside)
        } catch {
            sys.close(fd)
            throw error
        }
    }

    /// Nothing may be mounted over /proc or inside it (it would hide what maskedPaths mask),
    /// except a fresh procfs (or a bind of one) on /proc and the files lxcfs emulates.
    func checkProcMount(_ m: PlannedMount, at inside: String) throws {
        guard LexicalPath.isInside("/proc", inside) else { return }
        if inside == "/proc" {
            if m.type == "proc" { return }
            if m.isBind, (try? sys.statfs(m.source).type) == FilesystemMagic.proc { return }
            throw RootfsViolation("\"\(inside)\" cannot be mounted because it is not of type proc")
        }
        if Self.lxcfsFiles.contains(inside) { return }
        throw RootfsViolation("\"\(inside)\" cannot be mounted because it is inside /proc")
    }

    static let lxcfsFiles = [
        "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps",
        "/proc/uptime", "/proc/loadavg", "/proc/slabinfo", "/proc/sys/kernel/ns_last_pid",
        "/proc/sys/crypto/fips_enabled",
    ]

    /// The same in-root path opened again, which now reaches the mount just made on top. The
    /// kernel's path for both fds must agree, or the mount point moved meanwhile.
    func reopen(_ target: Target) throws -> Target {
        let fd = try root.open(target.path)
        let before = try sys.pathOf(target.fd)
        let after = try sys.pathOf(fd)
        guard before == after else {
            sys.close(fd)
            throw RootfsViolation("mountpoint \(target.path) moved while it was mounted on (\(before) -> \(after))")
        }
        return Target(fd: fd, path: target.path)
    }

    // MARK: mount(2) on an fd

    func mount(on fd: Int32, _ operation: String, source: String?, type: String?, flags: UInt,
               data: String?) throws {
        try sys.mount(on: fd, operation, source: source, type: type, flags: flags, data: data)
    }

    /// Mounts a filesystem of `m.type` on `target`, then applies its propagation options and
    /// (unless deferred to finalize) its recursive attributes. Returns the reopened mount.
    func mountFilesystem(_ m: PlannedMount, on target: Target) throws -> Target {
        try mountOnly(m, on: target)
        let mounted = try reopen(target)
        do {
            try applyPropagation(m.options, on: mounted.fd)
            if !m.readOnlyDeferred { try applyRecursiveAttributes(m.options, on: mounted.fd) }
        } catch {
            sys.close(mounted.fd)
            throw error
        }
        return mounted
    }

    /// mountFilesystem for callers that do not use the new mount: it is reopened (a path
    /// lookup and two readlinks) only when its propagation or recursive attributes need it.
    func mountFilesystemAndClose(_ m: PlannedMount, on target: Target) throws {
        let applies = !m.options.propagation.isEmpty || (!m.readOnlyDeferred && m.options.hasRecursiveAttributes)
        if applies {
            sys.close(try mountFilesystem(m, on: target).fd)
        } else {
            try mountOnly(m, on: target)
        }
    }

    /// The mount(2) of a filesystem of `m.type` on `target`, nothing after it.
    private func mountOnly(_ m: PlannedMount, on target: Target) throws {
        var flags = m.options.flags
        if m.readOnlyDeferred { flags &= ~MountFlag.readOnly }
        var data = m.options.dataString
        if m.type == "tmpfs", target.existed, let mode = try? sys.fstat(target.fd).permissions {
            // A tmpfs over an existing directory keeps its mode unless the options say otherwise
            // (a later mode= wins).
            let prefix = "mode=" + Self.octal(mode)
            data = data.isEmpty ? prefix : prefix + "," + data
        }
        try mount(on: target.fd, "mount", source: m.source, type: m.type, flags: flags, data: data)
    }

    /// At least four octal digits (`0755`), without String(_:radix:)'s generic formatting.
    static func octal(_ mode: UInt32) -> String {
        // Filled from the right in an array: String(decoding:) of a reversed() collection asked
        // the runtime whether it had contiguous storage, a scan of every conformance record.
        var digits = [UInt8](repeating: UInt8(ascii: "0"), count: 11)  // UInt32: 11 octal digits
        var first = digits.count
        var rest = mode
        repeat {
            first -= 1
            digits[first] = UInt8(ascii: "0") + UInt8(rest & 7)
            rest >>= 3
        } while rest != 0
        digits.removeFirst(min(first, digits.count - 4))
        return String(decoding: digits, as: UTF8.self)
    }

    func applyPropagation(_ options: MountOptions, on fd: Int32) throws {
        for flags in options.propagation {
            try mount(on: fd, "change propagation to \(MountFlag.describe(flags))",
                      source: nil, type: nil, flags: flags, data: nil)
        }
    }

    func applyRecursiveAttributes(_ options: MountOptions, on fd: Int32) throws {
        guard options.hasRecursiveAttributes else { return }
        try sys.mountSetattr(dirfd: -1, path: sys.procfd(fd), flags: AtFlag.recursive,
                             attributes: MountAttributes(set: options.recursiveSet, clear: options.recursiveClear))
    }

    // MARK: bind mounts

    /// A bind mount ignores every flag but MS_REC: the flags come with a second
    /// MS_BIND|MS_REMOUNT. In a user namespace the kernel locks the flags a mount inherited
    /// (ro, nodev, nosuid, noexec, atime): when the remount is refused, it is retried with the
    /// source's locked flags kept, unless the options explicitly asked to clear one of them.
    func bind(_ m: PlannedMount) throws {
        let options = m.options
        let flags = options.flags
        let target = try openMountpoint(m)
        defer { sys.close(target.fd) }
        if let tree = idmappedSources[m.index] {
            try sys.moveMount(tree, onto: target.fd)
        } else if IDMappedSources.needsIDMap(m.mount, options) {
            throw RootfsViolation("no idmapped mount of \(m.source) was prepared by the runtime")
        } else {
            try mount(on: target.fd, "bind", source: m.source, type: "bind",
                      flags: MountFlag.bind | (flags & MountFlag.recursive), data: nil)
        }
        let mounted = try reopen(target)
        defer { sys.close(mounted.fd) }

        let vfsFlags = flags & ~(MountFlag.bind | MountFlag.recursive | MountFlag.remount)
        if vfsFlags != 0 || options.clearedFlags != 0 {
            try remountBind(m, fd: mounted.fd, flags: (flags & ~MountFlag.recursive) | MountFlag.bind | MountFlag.remount)
        }
        try applyPropagation(options, on: mounted.fd)
        try applyRecursiveAttributes(options, on: mounted.fd)
    }

    func remountBind(_ m: PlannedMount, fd: Int32, flags: UInt) throws {
        let firstError: Error
        do {
            try mount(on: fd, "remount", source: nil, type: nil, flags: flags, data: nil)
            return
        } catch {
            firstError = error
        }
        let sourceFlags = StatfsFlag.mountFlags(try sys.statfs(m.source).flags)
        let cannotClear = sourceFlags & m.options.clearedFlags & MountFlag.lockable
        if cannotClear != 0 {
            throw RootfsViolation("cannot clear locked flags \(MountFlag.describe(cannotClear)): \(firstError)")
        }
        let atime = flags & MountFlag.atimeFlags
        if atime != 0 && atime != sourceFlags & MountFlag.atimeFlags {
            throw RootfsViolation("cannot change locked atime flags \(MountFlag.describe(sourceFlags & MountFlag.atimeFlags)): \(firstError)")
        }
        let locked = sourceFlags & MountFlag.lockable
        do {
            try mount(on: fd, "remount with locked flags \(MountFlag.describe(locked)) kept",
                      source: nil, type: nil, flags: flags | locked, data: nil)
        }
    }
}

extension MountSyscalls {
    /// mount(2) on the fd's magic link; the error names the operation, not the magic link.
    func mount(on fd: Int32, _ operation: String, source: String?, type: String?, flags: UInt,
               data: String?) throws {
        do {
            try mount(source: source, target: procfd(fd), type: type, flags: flags, data: data)
        } catch let error as SyscallError {
            throw SyscallError(operation, errno: error.errno)
        }
    }
}
