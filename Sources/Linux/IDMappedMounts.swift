// Idmapped mounts (mount_setattr(2) MOUNT_ATTR_IDMAP): a detached copy of a host directory
// tree whose file owners are seen through a user namespace's mapping, made by the runtime
// (which may do it in the host's user namespace) and attached inside the container by init.
#if canImport(Glibc)
import Glibc
#endif
import CShims

public enum IDMappedMount {
    static let openTreeClone: UInt32 = 1        // OPEN_TREE_CLONE
    static let openTreeCloexec: UInt32 = 0o2000000   // OPEN_TREE_CLOEXEC (O_CLOEXEC)
    static let moveFromEmptyPath: UInt32 = 0x4  // MOVE_MOUNT_F_EMPTY_PATH
    static let moveToEmptyPath: UInt32 = 0x40   // MOVE_MOUNT_T_EMPTY_PATH

    /// A user namespace with these maps (uid_map/gid_map text), as an fd. A child is cloned
    /// into a new user namespace, given the maps, and killed once its namespace is held open.
    public static func userNamespace(uidMap: String, gidMap: String) throws -> Int32 {
        let child = sl_clone3(UInt64(UInt32(bitPattern: NamespaceKind.user.cloneFlag)), SIGCHLD)
        if child < 0 { throw SyscallError("clone3", path: "user namespace for an idmapped mount") }
        if child == 0 {
            // Only async-signal-safe calls here: the parent does everything else.
            while true { pause() }
        }
        defer {
            kill(child, SIGKILL)
            var status: Int32 = 0
            while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        }
        try FileSystem.writeExisting("/proc/\(child)/uid_map", uidMap)
        try FileSystem.writeExisting("/proc/\(child)/gid_map", gidMap)
        let path = "/proc/\(child)/ns/user"
        return try check("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
    }

    /// A detached clone of the mount at `source` (with its submounts when `recursive`, as an
    /// rbind), idmapped through `userNamespace` on its top mount or, `idmapRecursive`, on all.
    public static func detached(source: String, recursive: Bool, userNamespace: Int32, idmapRecursive: Bool) throws -> Int32 {
        let flags = openTreeClone | openTreeCloexec | (recursive ? AtFlag.recursive : 0)
        let tree = try check("open_tree", path: source) { sl_open_tree(AtFlag.fdcwd, source, flags) }
        do {
            let attrFlags = UInt32(AtFlag.emptyPath) | (idmapRecursive ? AtFlag.recursive : 0)
            try check("mount_setattr MOUNT_ATTR_IDMAP", path: source) {
                swiftlet_mount_setattr(tree, "", attrFlags, MountAttribute.idmap, 0, 0, UInt64(userNamespace))
            }
            return tree
        } catch {
            close(tree)
            throw error
        }
    }

    /// Attaches a detached mount on the mount point `targetFD` refers to (an O_PATH fd).
    public static func attach(_ tree: Int32, onto targetFD: Int32) throws {
        try check("move_mount") { sl_move_mount(tree, "", targetFD, "", moveFromEmptyPath | moveToEmptyPath) }
    }
}

extension RealSyscalls {
    public func moveMount(_ tree: Int32, onto targetFD: Int32) throws {
        try IDMappedMount.attach(tree, onto: targetFD)
    }

    public func cloneMount(_ fd: Int32, recursive: Bool) throws -> Int32 {
        let flags = IDMappedMount.openTreeClone | IDMappedMount.openTreeCloexec | UInt32(AtFlag.emptyPath)
            | (recursive ? AtFlag.recursive : 0)
        return try check("open_tree") { sl_open_tree(fd, "", flags) }
    }
}
