// The syscalls rootfs setup makes, behind one protocol: `RealSyscalls` calls the kernel,
// `RecordingSyscalls` records the calls against a small in-memory tree so the order of a setup
// (which flags, which remounts, which fallbacks) is tested without root.
//
// File descriptors are plain Int32 values the caller closes. Every method throws SyscallError
// naming the operation and the path it acted on.

/// What fstat(2) says about a file, the fields setup decisions use.
public struct FileStat: Equatable, Sendable {
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var device: UInt64     // st_dev
    public var inode: UInt64
    public var rdev: UInt64       // for device nodes
    public var size: Int64

    public init(mode: UInt32, uid: UInt32 = 0, gid: UInt32 = 0, device: UInt64 = 0,
                inode: UInt64 = 0, rdev: UInt64 = 0, size: Int64 = 0) {
        self.mode = mode; self.uid = uid; self.gid = gid; self.device = device
        self.inode = inode; self.rdev = rdev; self.size = size
    }

    public var type: UInt32 { mode & FileType.mask }
    public var isDirectory: Bool { type == FileType.directory }
    public var isSymlink: Bool { type == FileType.symlink }
    /// Permission bits including setuid, setgid and sticky.
    public var permissions: UInt32 { mode & 0o7777 }
}

/// What statfs(2) says about the filesystem and mount a path is on.
public struct FilesystemStat: Equatable, Sendable {
    public var type: Int64       // f_type, a FilesystemMagic value
    public var flags: UInt64     // f_flags, StatfsFlag bits
    public init(type: Int64, flags: UInt64) { self.type = type; self.flags = flags }
}

/// struct mount_attr of mount_setattr(2).
public struct MountAttributes: Equatable, Sendable {
    public var set: UInt64
    public var clear: UInt64
    public var propagation: UInt64
    public var usernsFD: UInt64
    public init(set: UInt64 = 0, clear: UInt64 = 0, propagation: UInt64 = 0, usernsFD: UInt64 = 0) {
        self.set = set; self.clear = clear; self.propagation = propagation; self.usernsFD = usernsFD
    }
}

/// One directory entry: its name and, when the filesystem reports it, its d_type.
public struct DirectoryEntry: Equatable, Sendable {
    public var name: String
    public init(name: String) { self.name = name }
}

public protocol MountSyscalls {
    // Mounts.
    func mount(source: String?, target: String, type: String?, flags: UInt, data: String?) throws
    func unmount(_ target: String, flags: Int32) throws
    func mountSetattr(dirfd: Int32, path: String, flags: UInt32, attributes: MountAttributes) throws
    func pivotRoot(newRoot: String, putOld: String) throws
    /// move_mount(2) of a detached mount (an idmapped one from the runtime, a cloneMount) onto an fd.
    func moveMount(_ tree: Int32, onto targetFD: Int32) throws
    /// open_tree(2) with OPEN_TREE_CLONE of the mount an O_PATH fd refers to: a detached copy
    /// (with its submounts when `recursive`, as an rbind), close-on-exec.
    func cloneMount(_ fd: Int32, recursive: Bool) throws -> Int32

    // Opening and resolving.
    func openat2(_ dirfd: Int32, _ path: String, flags: Int32, mode: UInt32, resolve: UInt64) throws -> Int32
    func openat(_ dirfd: Int32, _ path: String, flags: Int32, mode: UInt32) throws -> Int32
    func close(_ fd: Int32)
    func dup3(_ fd: Int32, _ target: Int32) throws
    func readlinkat(_ dirfd: Int32, _ path: String) throws -> String

    // Creating.
    func mkdirat(_ dirfd: Int32, _ path: String, mode: UInt32) throws
    func mknodat(_ dirfd: Int32, _ path: String, mode: UInt32, device: UInt64) throws
    func symlinkat(_ target: String, _ dirfd: Int32, _ path: String) throws
    func unlinkat(_ dirfd: Int32, _ path: String, flags: Int32) throws

    // Inspecting and changing.
    func fstatat(_ dirfd: Int32, _ path: String, flags: Int32) throws -> FileStat
    func statfs(_ path: String) throws -> FilesystemStat
    func fchownat(_ dirfd: Int32, _ path: String, uid: UInt32, gid: UInt32, flags: Int32) throws
    func fchmodat(_ dirfd: Int32, _ path: String, mode: UInt32) throws

    // Working directory and root.
    func fchdir(_ fd: Int32) throws
    func chdir(_ path: String) throws
    func chroot(_ path: String) throws

    // Contents (small /proc files, directory listings, file copies for tmpcopyup).
    func readFile(_ path: String) throws -> String
    func listDirectory(_ fd: Int32) throws -> [DirectoryEntry]
    func copyContents(from source: Int32, to destination: Int32) throws
}

extension MountSyscalls {
    /// The magic link through which an fd is reopened or mounted on: mount(2) resolves it to
    /// exactly the file the fd holds, whatever the path to it has become since.
    public func procfd(_ fd: Int32) -> String { "/proc/self/fd/\(fd)" }

    /// The path the kernel holds for an fd (what /proc/self/fd/N reads).
    public func pathOf(_ fd: Int32) throws -> String {
        try readlinkat(AtFlag.fdcwd, procfd(fd))
    }

    public func fstat(_ fd: Int32) throws -> FileStat {
        try fstatat(fd, "", flags: AtFlag.emptyPath)
    }

    public func stat(_ path: String) throws -> FileStat {
        try fstatat(AtFlag.fdcwd, path, flags: 0)
    }

    public func fstatfs(_ fd: Int32) throws -> FilesystemStat {
        try statfs(procfd(fd))
    }
}
