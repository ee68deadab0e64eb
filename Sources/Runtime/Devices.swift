// /dev inside the container: the default device nodes every container gets, linux.devices,
// /dev/ptmx as a link to the devpts instance, and the /proc/self/fd links. Nodes are made with
// mknod, or, where the kernel refuses mknod (a user namespace), bind-mounted from the host's
// node of the same path onto an empty file.
#if canImport(Glibc)
import Glibc
#endif
import Linux
import OCISpec

public struct DeviceNode: Equatable, Sendable {
    public enum Kind: Equatable, Sendable { case character, block, fifo }
    public var path: String
    public var kind: Kind
    public var major: UInt32
    public var minor: UInt32
    public var fileMode: UInt32
    public var uid: UInt32
    public var gid: UInt32

    public init(path: String, kind: Kind, major: UInt32, minor: UInt32, fileMode: UInt32 = 0o666,
                uid: UInt32 = 0, gid: UInt32 = 0) {
        self.path = path; self.kind = kind; self.major = major; self.minor = minor
        self.fileMode = fileMode; self.uid = uid; self.gid = gid
    }

    var typeBits: UInt32 {
        switch kind {
        case .character: return FileType.character
        case .block: return FileType.block
        case .fifo: return FileType.fifo
        }
    }

    var device: UInt64 { DeviceNumber.make(major: major, minor: minor) }

    /// What every container gets (runc's list), all rw for everyone.
    public static let defaults: [DeviceNode] = [
        DeviceNode(path: "/dev/null", kind: .character, major: 1, minor: 3),
        DeviceNode(path: "/dev/random", kind: .character, major: 1, minor: 8),
        DeviceNode(path: "/dev/full", kind: .character, major: 1, minor: 7),
        DeviceNode(path: "/dev/tty", kind: .character, major: 5, minor: 0),
        DeviceNode(path: "/dev/zero", kind: .character, major: 1, minor: 5),
        DeviceNode(path: "/dev/urandom", kind: .character, major: 1, minor: 9),
    ]

    /// The defaults not overridden by a linux.devices entry of the same path, then linux.devices.
    public static func nodes(for spec: Spec) throws -> [DeviceNode] {
        let configured = spec.linux?.devices ?? []
        let configuredPaths = Set(configured.map { LexicalPath.clean($0.path) })
        var nodes = defaults.filter { !configuredPaths.contains($0.path) }
        for (index, device) in configured.enumerated() {
            let field = "linux.devices[\(index)]"
            let kind: Kind
            switch device.type {
            case "c", "u": kind = .character
            case "b": kind = .block
            case "p": kind = .fifo
            default:
                throw RootfsError(stage: field + ".type", underlying: RootfsViolation(
                    "\"\(device.type)\" is not a valid device type for device \(device.path)"))
            }
            guard !device.path.isEmpty else {
                throw RootfsError(stage: field + ".path", underlying: RootfsViolation("device path is empty"))
            }
            let major = device.major ?? 0, minor = device.minor ?? 0
            if kind != .fifo, major < 0 || minor < 0 || major > Int64(UInt32.max) || minor > Int64(UInt32.max) {
                throw RootfsError(stage: field, underlying: RootfsViolation(
                    "device \(device.path) has an invalid major:minor \(major):\(minor)"))
            }
            nodes.append(DeviceNode(path: device.path, kind: kind, major: UInt32(clamping: major),
                                    minor: UInt32(clamping: minor),
                                    fileMode: (device.fileMode ?? 0o666) & ~FileType.mask,
                                    uid: device.uid ?? 0, gid: device.gid ?? 0))
        }
        return nodes
    }
}

struct DeviceSetup {
    let sys: MountSyscalls
    let root: RootHandle
    let bindFromHost: Bool

    func run(_ nodes: [DeviceNode]) throws {
        // Every node and link goes in /dev (or under it): each directory is resolved in the
        // root once, not once per entry.
        let dirs = Directories(root: root, sys: sys)
        defer { dirs.closeAll() }
        // As runc: nodes are made with the umask cleared, so their mode is the one asked for
        // and create needs no chmod (through /proc/self/fd) to put it right.
        let oldMask = umask(0)
        defer { umask(oldMask) }
        for node in nodes where LexicalPath.clean(node.path) != "/dev/ptmx" {
            try inStage(node.path) { try create(node, in: dirs) }
        }
        try inStage("/dev/ptmx") {
            let (dir, name) = try dirs.parentAndName("/dev/ptmx")
            do {
                try sys.unlinkat(dir, name, flags: 0)
            } catch let error as SyscallError where error.errno == ENOENT {}
            try sys.symlinkat("pts/ptmx", dir, name)
        }
        var links = [("/proc/self/fd", "/dev/fd"), ("/proc/self/fd/0", "/dev/stdin"),
                     ("/proc/self/fd/1", "/dev/stdout"), ("/proc/self/fd/2", "/dev/stderr")]
        // Only when this kernel has /proc/kcore (CONFIG_PROC_KCORE).
        if (try? sys.stat("/proc/kcore")) != nil { links.append(("/proc/kcore", "/dev/core")) }
        for (target, path) in links {
            try inStage(path) {
                let (dir, name) = try dirs.parentAndName(path)
                do {
                    try sys.symlinkat(target, dir, name)
                } catch let error as SyscallError where error.errno == EEXIST {}
            }
        }
    }

    /// O_PATH fds of the directories entries go in, by their path in the root, kept open
    /// while the devices are made.
    final class Directories {
        let root: RootHandle
        let sys: MountSyscalls
        private var open: [(path: String, fd: Int32)] = []
        init(root: RootHandle, sys: MountSyscalls) { self.root = root; self.sys = sys }

        /// The directory that holds `unsafePath` (made when missing) and the entry's name.
        func parentAndName(_ unsafePath: String) throws -> (dirfd: Int32, name: String) {
            let parts = LexicalPath.components(unsafePath)
            guard let name = parts.last else { return try root.parentAndName(unsafePath) }
            let parent = joinStrings(parts.dropLast(), separator: "/")
            for entry in open where entry.path == parent { return (entry.fd, name) }
            let (fd, resolvedName) = try root.parentAndName(unsafePath)
            open.append((parent, fd))
            return (fd, resolvedName)
        }

        func closeAll() {
            for entry in open { sys.close(entry.fd) }
            open = []
        }
    }

    func create(_ node: DeviceNode, in dirs: Directories) throws {
        let (dir, name) = try dirs.parentAndName(node.path)
        if bindFromHost { return try bindFromHost(node, dir: dir, name: name) }
        let mode = node.fileMode | node.typeBits
        do {
            try sys.mknodat(dir, name, mode: mode, device: node.device)
        } catch let error as SyscallError where error.errno == EEXIST {
            // config-linux.md: an existing file that is not the requested device is an error.
            let fd = try sys.openat(dir, name, flags: OpenFlag.path | OpenFlag.noFollow | OpenFlag.closeOnExec, mode: 0)
            defer { sys.close(fd) }
            let st = try sys.fstat(fd)
            guard st.type == node.typeBits, node.kind == .fifo || st.rdev == node.device else {
                throw RootfsViolation("\(node.path) already exists and is not the \(node.major):\(node.minor) device asked for")
            }
            return
        } catch let error as SyscallError where error.errno == EPERM {
            return try bindFromHost(node, dir: dir, name: name)
        }
        // Check what was made is what was asked for; most nodes need nothing more, and a stat
        // by name settles that without opening them.
        let made = try sys.fstatat(dir, name, flags: AtFlag.symlinkNoFollow)
        try checkIsNode(made, node)
        // Only what mknod did not already get right: the mode unless the umask or the
        // filesystem changed it, the owner when it is not ours (or a setgid directory's group).
        // Changed through an O_PATH fd, checked again, so nothing swapped in meanwhile is touched.
        guard made.permissions != node.fileMode || made.uid != node.uid || made.gid != node.gid else { return }
        let fd = try sys.openat(dir, name, flags: OpenFlag.path | OpenFlag.noFollow | OpenFlag.closeOnExec, mode: 0)
        defer { sys.close(fd) }
        let st = try sys.fstat(fd)
        try checkIsNode(st, node)
        if st.permissions != node.fileMode { try sys.fchmodat(AtFlag.fdcwd, sys.procfd(fd), mode: node.fileMode) }
        if st.uid != node.uid || st.gid != node.gid {
            try sys.fchownat(fd, "", uid: node.uid, gid: node.gid, flags: AtFlag.emptyPath)
        }
    }

    private func checkIsNode(_ st: FileStat, _ node: DeviceNode) throws {
        guard st.type == node.typeBits, node.kind == .fifo || st.rdev == node.device else {
            throw RootfsViolation("new device inode \(node.path) is not the \(node.major):\(node.minor) node asked for")
        }
    }

    func bindFromHost(_ node: DeviceNode, dir: Int32, name: String) throws {
        do {
            let created = try sys.openat(dir, name, flags: OpenFlag.create | OpenFlag.exclusive | OpenFlag.noFollow
                                            | OpenFlag.writeOnly | OpenFlag.closeOnExec, mode: 0)
            sys.close(created)
        } catch let error as SyscallError where error.errno == EEXIST {}
        let fd = try sys.openat(dir, name, flags: OpenFlag.path | OpenFlag.noFollow | OpenFlag.closeOnExec, mode: 0)
        defer { sys.close(fd) }
        do {
            try sys.mount(source: node.path, target: sys.procfd(fd), type: "bind", flags: MountFlag.bind, data: nil)
        } catch let error as SyscallError {
            throw SyscallError("bind from host", path: node.path, errno: error.errno)
        }
    }
}
