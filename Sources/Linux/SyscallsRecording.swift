// MountSyscalls against an in-memory tree, recording every call that changes something.
//
// Tests build the tree a setup starts from (the rootfs' directories, files, symlinks, a few
// /proc files), run the setup, then compare `calls` with the sequence they expect. Mount
// targets reached through /proc/self/fd/N are recorded as `fd:<path>`, so a test also sees
// that a mount went through a resolved fd rather than a path string. Failures are injected
// per operation and path, to drive fallbacks (EPERM from mknod in a user namespace, a locked
// flag refusing a remount).
#if canImport(Glibc)
import Glibc
#endif

public final class RecordingSyscalls: MountSyscalls {
    public private(set) var calls: [String] = []
    /// Absolute path -> stat of everything that exists; symlink targets are in `links`.
    public private(set) var nodes: [String: FileStat] = ["/": FileStat(mode: FileType.directory | 0o755)]
    public private(set) var links: [String: String] = [:]
    /// Contents readFile returns (mountinfo, cgroup, uid_map...).
    public var files: [String: String] = [:]
    /// Permission bits mknodat leaves out of what it makes, as a umask would.
    public var creationMask: UInt32 = 0
    /// How many times an fd's path was asked for (readlink of /proc/self/fd/N): what
    /// RootHandle.openLocated saves on a path without symlinks.
    public private(set) var fdPathReads = 0
    /// What statfs says per path; anything else is an ext4 with no flags.
    public var filesystems: [String: FilesystemStat] = [:]
    private var descriptors: [Int32: String] = [:]
    private var clonedTrees: Set<Int32> = []
    private var nextDescriptor: Int32 = 100
    private var failures: [(operation: String, path: String?, errno: Int32, skip: Int, remaining: Int)] = []

    public init() {}

    // MARK: building the starting tree

    public func addDirectory(_ path: String, mode: UInt32 = 0o755, uid: UInt32 = 0, gid: UInt32 = 0) {
        addParents(of: path)
        nodes[LexicalPath.clean(path)] = FileStat(mode: FileType.directory | mode, uid: uid, gid: gid)
    }

    public func addFile(_ path: String, mode: UInt32 = 0o644) {
        addParents(of: path)
        nodes[LexicalPath.clean(path)] = FileStat(mode: FileType.regular | mode)
    }

    public func addDevice(_ path: String, mode: UInt32, rdev: UInt64) {
        addParents(of: path)
        nodes[LexicalPath.clean(path)] = FileStat(mode: mode, rdev: rdev)
    }

    public func addSymlink(_ path: String, target: String) {
        addParents(of: path)
        nodes[LexicalPath.clean(path)] = FileStat(mode: FileType.symlink | 0o777)
        links[LexicalPath.clean(path)] = target
    }

    private func addParents(of path: String) {
        var current = ""
        for part in LexicalPath.components(path).dropLast() {
            current += "/" + part
            if nodes[current] == nil { nodes[current] = FileStat(mode: FileType.directory | 0o755) }
        }
    }

    /// Calls of `operation` (on `path`, when given) fail with `errno`: `times` of them, after
    /// letting the first `after` through.
    public func fail(_ operation: String, at path: String? = nil, errno: Int32, after: Int = 0, times: Int = 1) {
        failures.append((operation, path.map(LexicalPath.clean), errno, after, times))
    }

    /// Descriptors opened and not closed: a setup should leave none behind.
    public var openDescriptors: [String] { descriptors.values.sorted() }

    // MARK: helpers

    private func injected(_ operation: String, _ path: String?) throws {
        for i in failures.indices where failures[i].operation == operation && failures[i].remaining > 0 {
            if let wanted = failures[i].path, wanted != path.map(LexicalPath.clean) { continue }
            if failures[i].skip > 0 {
                failures[i].skip -= 1
                continue
            }
            failures[i].remaining -= 1
            throw SyscallError(operation, path: path, errno: failures[i].errno)
        }
    }

    private func record(_ call: String) { calls.append(call) }

    /// A path as a call names it: fd magic links become the fd's path, marked `fd:`.
    private func render(_ path: String) -> String {
        if let fdPath = fdPath(path) { return "fd:" + fdPath }
        return path
    }

    private func fdPath(_ path: String) -> String? {
        guard path.hasPrefix("/proc/self/fd/"), let fd = Int32(path.dropFirst(14)) else { return nil }
        return descriptors[fd]
    }

    /// The path a call acts on: fd magic links and dirfd-relative names made absolute.
    private func location(_ dirfd: Int32, _ path: String) throws -> String {
        if let fdPath = fdPath(path) { return fdPath }
        if path.hasPrefix("/") { return LexicalPath.clean(path) }
        let base: String
        if dirfd == AtFlag.fdcwd {
            base = "/"
        } else if let known = descriptors[dirfd] {
            base = known
        } else {
            throw SyscallError("fd", path: "\(dirfd)", errno: EBADF)
        }
        return path.isEmpty ? base : LexicalPath.clean(base + "/" + path)
    }

    /// Follows symlinks component by component. `root` bounds absolute targets and `..`
    /// (RESOLVE_IN_ROOT); `followLast` is false for O_NOFOLLOW and AT_SYMLINK_NOFOLLOW.
    private func resolve(_ path: String, root: String, followLast: Bool, noSymlinks: Bool) throws -> String {
        var pending = LexicalPath.components(LexicalPath.strip(root: root, path) ?? path)
        var resolved: [String] = []
        var hops = 0
        while !pending.isEmpty {
            let part = pending.removeFirst()
            let candidate = LexicalPath.join(root, (resolved + [part]).joined(separator: "/"))
            if let target = links[candidate], followLast || !pending.isEmpty {
                if noSymlinks { throw SyscallError("openat2", path: path, errno: ELOOP) }
                hops += 1
                if hops > 40 { throw SyscallError("openat2", path: path, errno: ELOOP) }
                if target.hasPrefix("/") { resolved = [] }
                pending = LexicalPath.components(target) + pending
                continue
            }
            resolved.append(part)
        }
        return LexicalPath.join(root, resolved.joined(separator: "/"))
    }

    private func open(_ where: String, flags: Int32) throws -> Int32 {
        guard let node = nodes[`where`] else { throw SyscallError("open", path: `where`, errno: ENOENT) }
        if flags & OpenFlag.directory != 0 && !node.isDirectory {
            throw SyscallError("open", path: `where`, errno: ENOTDIR)
        }
        let fd = nextDescriptor
        nextDescriptor += 1
        descriptors[fd] = `where`
        return fd
    }

    // MARK: MountSyscalls

    public func mount(source: String?, target: String, type: String?, flags: UInt, data: String?) throws {
        let call = "mount \(source.map(render) ?? "-") \(render(target)) \(type ?? "-") \(MountFlag.describe(flags))"
            + (data.map { $0.isEmpty ? "" : " " + $0 } ?? "")
        try injected("mount", fdPath(target) ?? target)
        record(call)
    }

    public func unmount(_ target: String, flags: Int32) throws {
        try injected("umount2", target)
        record("umount2 \(render(target)) \(flags)")
    }

    public func mountSetattr(dirfd: Int32, path: String, flags: UInt32, attributes: MountAttributes) throws {
        let subject = path.isEmpty ? treeName(dirfd) : render(path)
        try injected("mount_setattr", path.isEmpty ? descriptors[dirfd] : fdPath(path) ?? path)
        record("mount_setattr \(subject) flags=0x\(String(flags, radix: 16)) set=0x\(String(attributes.set, radix: 16)) clear=0x\(String(attributes.clear, radix: 16))")
    }

    public func moveMount(_ tree: Int32, onto targetFD: Int32) throws {
        let target = descriptors[targetFD] ?? "fd \(targetFD)"
        try injected("move_mount", target)
        record("move_mount \(treeName(tree)) fd:\(target)")
    }

    public func cloneMount(_ fd: Int32, recursive: Bool) throws -> Int32 {
        let source = descriptors[fd] ?? "fd \(fd)"
        try injected("open_tree", source)
        record("open_tree fd:\(source) clone" + (recursive ? "|rec" : ""))
        let tree = nextDescriptor
        nextDescriptor += 1
        descriptors[tree] = source
        clonedTrees.insert(tree)
        return tree
    }

    /// A tree cloneMount made, by the path it was cloned from; an fd from elsewhere (the
    /// runtime's idmapped mounts) by number.
    private func treeName(_ fd: Int32) -> String {
        clonedTrees.contains(fd) ? "tree:" + (descriptors[fd] ?? "?") : "tree=\(fd)"
    }

    public func pivotRoot(newRoot: String, putOld: String) throws {
        try injected("pivot_root", newRoot)
        record("pivot_root \(newRoot) \(putOld)")
    }

    public func openat2(_ dirfd: Int32, _ path: String, flags: Int32, mode: UInt32, resolve: UInt64) throws -> Int32 {
        let base = try location(dirfd, "")
        let lexical = try location(dirfd, path.hasPrefix("/") ? String(path.dropFirst()) : path)
        try injected("openat2", lexical)
        let root = resolve & (ResolveFlag.inRoot | ResolveFlag.beneath) != 0 ? base : "/"
        let target = try self.resolve(lexical, root: root, followLast: flags & OpenFlag.noFollow == 0,
                                      noSymlinks: resolve & ResolveFlag.noSymlinks != 0)
        return try open(target, flags: flags)
    }

    public func openat(_ dirfd: Int32, _ path: String, flags: Int32, mode: UInt32) throws -> Int32 {
        let lexical = try location(dirfd, path)
        try injected("openat", lexical)
        if flags & OpenFlag.create != 0 {
            if nodes[lexical] != nil {
                if flags & OpenFlag.exclusive != 0 { throw SyscallError("openat", path: lexical, errno: EEXIST) }
            } else {
                guard nodes[LexicalPath.parent(lexical)]?.isDirectory == true else {
                    throw SyscallError("openat", path: lexical, errno: ENOENT)
                }
                nodes[lexical] = FileStat(mode: FileType.regular | mode)
                record("create \(lexical) \(String(mode, radix: 8))")
            }
        }
        let target = try resolve(lexical, root: "/", followLast: flags & OpenFlag.noFollow == 0, noSymlinks: false)
        return try open(target, flags: flags)
    }

    public func close(_ fd: Int32) {
        descriptors[fd] = nil
        clonedTrees.remove(fd)
    }

    public func dup3(_ fd: Int32, _ target: Int32) throws {
        try injected("dup3", nil)
        record("dup3 \(descriptors[fd] ?? "fd \(fd)") \(target)")
    }

    public func readlinkat(_ dirfd: Int32, _ path: String) throws -> String {
        if let fdPath = fdPath(path) {
            fdPathReads += 1
            return fdPath
        }
        let at = try location(dirfd, path)
        guard let target = links[at] else { throw SyscallError("readlink", path: at, errno: EINVAL) }
        return target
    }

    public func mkdirat(_ dirfd: Int32, _ path: String, mode: UInt32) throws {
        let at = try location(dirfd, path)
        try injected("mkdirat", at)
        if nodes[at] != nil { throw SyscallError("mkdirat", path: at, errno: EEXIST) }
        guard nodes[LexicalPath.parent(at)]?.isDirectory == true else {
            throw SyscallError("mkdirat", path: at, errno: ENOENT)
        }
        nodes[at] = FileStat(mode: FileType.directory | mode)
        record("mkdir \(at) \(String(mode, radix: 8))")
    }

    public func mknodat(_ dirfd: Int32, _ path: String, mode: UInt32, device: UInt64) throws {
        let at = try location(dirfd, path)
        try injected("mknodat", at)
        if nodes[at] != nil { throw SyscallError("mknodat", path: at, errno: EEXIST) }
        nodes[at] = FileStat(mode: mode & ~creationMask, rdev: device)
        record("mknod \(at) \(String(mode, radix: 8)) \(DeviceNumber.major(device)):\(DeviceNumber.minor(device))")
    }

    public func symlinkat(_ target: String, _ dirfd: Int32, _ path: String) throws {
        let at = try location(dirfd, path)
        try injected("symlinkat", at)
        if nodes[at] != nil { throw SyscallError("symlinkat", path: at, errno: EEXIST) }
        nodes[at] = FileStat(mode: FileType.symlink | 0o777)
        links[at] = target
        record("symlink \(at) -> \(target)")
    }

    public func unlinkat(_ dirfd: Int32, _ path: String, flags: Int32) throws {
        let at = try location(dirfd, path)
        try injected("unlinkat", at)
        guard nodes[at] != nil else { throw SyscallError("unlinkat", path: at, errno: ENOENT) }
        nodes[at] = nil
        links[at] = nil
        record("unlink \(at)")
    }

    public func fstatat(_ dirfd: Int32, _ path: String, flags: Int32) throws -> FileStat {
        let lexical = try location(dirfd, path)
        try injected("fstatat", lexical)
        let at = try resolve(lexical, root: "/", followLast: flags & AtFlag.symlinkNoFollow == 0, noSymlinks: false)
        guard let node = nodes[at] else { throw SyscallError("fstatat", path: at, errno: ENOENT) }
        return node
    }

    public func statfs(_ path: String) throws -> FilesystemStat {
        let at = try location(AtFlag.fdcwd, path)
        try injected("statfs", at)
        return filesystems[at] ?? FilesystemStat(type: 0xEF53, flags: 0)
    }

    public func fchownat(_ dirfd: Int32, _ path: String, uid: UInt32, gid: UInt32, flags: Int32) throws {
        let at = try location(dirfd, path)
        try injected("fchownat", at)
        nodes[at]?.uid = uid
        nodes[at]?.gid = gid
        record("chown \(at) \(uid):\(gid)")
    }

    public func fchmodat(_ dirfd: Int32, _ path: String, mode: UInt32) throws {
        let at = try location(dirfd, path)
        try injected("fchmodat", at)
        if let node = nodes[at] { nodes[at]?.mode = node.type | mode }
        record("chmod \(at) \(String(mode, radix: 8))")
    }

    public func fchdir(_ fd: Int32) throws {
        try injected("fchdir", descriptors[fd])
        record("chdir \(descriptors[fd] ?? "fd \(fd)")")
    }

    public func chdir(_ path: String) throws {
        try injected("chdir", path)
        record("chdir \(path)")
    }

    public func chroot(_ path: String) throws {
        try injected("chroot", path)
        record("chroot \(path)")
    }

    public func readFile(_ path: String) throws -> String {
        guard let contents = files[path] else { throw SyscallError("open", path: path, errno: ENOENT) }
        return contents
    }

    public func listDirectory(_ fd: Int32) throws -> [DirectoryEntry] {
        guard let dir = descriptors[fd] else { throw SyscallError("fd", path: "\(fd)", errno: EBADF) }
        return nodes.keys.filter { $0 != dir && LexicalPath.parent($0) == dir }.sorted()
            .map { DirectoryEntry(name: LexicalPath.baseName($0)) }
    }

    public func copyContents(from source: Int32, to destination: Int32) throws {
        record("copy \(descriptors[source] ?? "?") -> \(descriptors[destination] ?? "?")")
    }
}
