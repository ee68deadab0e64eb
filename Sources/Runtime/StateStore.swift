// The state directory: `<root>/<id>/` holds state.json, the exec fifo and the lock. Creating
// the directory is what claims an id, so two creates of one id cannot both win.
#if canImport(Glibc)
import Glibc
#endif
import Linux
import OCISpec

public struct StateStore {
    public let root: String

    public init(root: String) { self.root = root }

    public func directory(for id: String) -> String { "\(root)/\(id)" }
    public func statePath(for id: String) -> String { "\(directory(for: id))/state.json" }
    public func fifoPath(for id: String) -> String { "\(directory(for: id))/exec.fifo" }
    public func recoveryPath(for id: String) -> String { "\(directory(for: id))/recovery.json" }

    /// runc's rule: letters, digits and `_ + - .`, not `.` or `..`, at most 1024 bytes.
    public static func validate(id: String) throws {
        let allowed = id.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
                || c == 0x5f || c == 0x2b || c == 0x2d || c == 0x2e
        }
        if id.isEmpty || !allowed || id == "." || id == ".." || id.utf8.count > 1024 {
            throw RuntimeError("invalid container ID format: \(id)")
        }
    }

    /// Claims the id: mkdir fails with EEXIST when another container (or a concurrent create)
    /// has it.
    public func claim(id: String) throws -> ContainerLock {
        try StateStore.validate(id: id)
        try FileSystem.makeDirectories(root, mode: 0o700)
        let dir = directory(for: id)
        if mkdir(dir, 0o711) != 0 {
            if errno == EEXIST { throw RuntimeError("container with given ID already exists") }
            throw SyscallError("mkdir", path: dir)
        }
        return try ContainerLock(directory: dir)
    }

    /// Locks an existing container for a command that changes it. A container that another
    /// command deletes before or while this one waits for the lock does not exist.
    public func lock(id: String) throws -> ContainerLock {
        try StateStore.validate(id: id)
        let lock: ContainerLock
        do {
            lock = try ContainerLock(directory: directory(for: id))
        } catch let error as SyscallError where error.errno == ENOENT || error.errno == ENOTDIR {
            throw RuntimeError.notExist
        }
        guard !lock.directoryRemoved else { throw RuntimeError.notExist }
        return lock
    }

    public func exists(id: String) -> Bool { FileSystem.isDirectory(directory(for: id)) }

    public func load(id: String) throws -> ContainerRecord {
        try StateStore.validate(id: id)
        let path = statePath(for: id)
        guard FileSystem.isDirectory(directory(for: id)) else { throw RuntimeError.notExist }
        let bytes: [UInt8]
        do { bytes = try FileSystem.readFile(path) } catch let error as SyscallError where error.errno == ENOENT {
            // The directory exists but create has not written state yet (or died before).
            throw RuntimeError("container \(id): state file \(path) is missing (create did not finish, or delete is removing it)")
        }
        do {
            return try ContainerRecord.read(fromJSON: bytes)
        } catch {
            throw RuntimeError("container \(id): corrupt state file \(path): \(error)")
        }
    }

    public func save(_ record: ContainerRecord) throws {
        try save(encoded: try encoded(record), id: record.id)
    }

    /// The bytes `save` writes, so create can encode while init is still busy.
    public func encoded(_ record: ContainerRecord) throws -> [UInt8] {
        JSONWriter.bytes(record.json)
    }

    public func save(encoded bytes: [UInt8], id: String) throws {
        try FileSystem.writeAtomically(statePath(for: id), bytes)
    }

    /// state.json written under a temp name in the container's directory, for `commit` to
    /// publish later (create writes it while init sets up, and only renames it once init is
    /// ready). Removing the directory takes a staged file with it.
    public func stage(encoded bytes: [UInt8], id: String) throws -> String {
        try FileSystem.writeTemporary(for: statePath(for: id), bytes)
    }

    public func commit(staged temp: String, id: String) throws {
        try FileSystem.commitTemporary(temp, to: statePath(for: id))
    }

    /// Written before create makes the cgroup, so `delete --force` can find it even when create
    /// was killed before state.json existed, or state.json is lost. No fsync: cgroups and
    /// processes do not outlive a reboot either, and surviving our own death needs none.
    public func saveRecovery(_ recovery: RecoveryRecord, id: String) throws {
        try FileSystem.writeAtomically(recoveryPath(for: id), recovery.jsonBytes)
    }

    /// nil when there is none or it cannot be read (the caller says the cgroup is unknown).
    public func loadRecovery(id: String) -> RecoveryRecord? {
        guard let bytes = try? FileSystem.readFile(recoveryPath(for: id)) else { return nil }
        return try? RecoveryRecord.read(fromJSON: bytes)
    }

    public func remove(id: String) throws {
        // The files a container's directory holds are known: unlinking them by name and
        // removing the directory is four calls where listing it first is ten. Anything else
        // (a temp file a killed create left) makes rmdir fail, and the walk clears it.
        for path in [statePath(for: id), recoveryPath(for: id), fifoPath(for: id)] { unlink(path) }
        if rmdir(directory(for: id)) == 0 || errno == ENOENT { return }
        try FileSystem.removeTree(directory(for: id))
    }

    public func listIDs() -> [String] {
        ((try? FileSystem.listDirectory(root)) ?? [])
            .filter { !$0.hasPrefix(".") && FileSystem.isDirectory("\(root)/\($0)") }.sorted()
    }
}

/// What `delete --force` needs when state.json is missing or unreadable.
public struct RecoveryRecord: Codable, Equatable {
    /// controller (or "" for the unified hierarchy) → absolute cgroup directory.
    public var cgroupPaths: [String: String]
    public init(cgroupPaths: [String: String]) { self.cgroupPaths = cgroupPaths }

    /// The same JSON the Codable encoder writes (keys sorted), built straight from a JSON
    /// tree: create writes this before anything else has warmed the encoder up, and a cold
    /// Codable encode of even this small record costs a few tenths of a millisecond.
    var jsonBytes: [UInt8] {
        let paths = cgroupPaths.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .map { (key: $0.key, value: JSONValue.string($0.value)) }
        return JSONWriter.bytes(.object([(key: "cgroupPaths", value: .object(paths))]))
    }
}

/// flock on the container directory itself, held until released or the process ends.
public final class ContainerLock {
    let fd: Int32

    init(directory: String) throws {
        fd = try check("open", path: directory) { open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        if (try? check("flock", path: directory, { flock(fd, LOCK_EX) })) == nil {
            close(fd)
            throw SyscallError("flock", path: directory)
        }
    }

    /// The locked directory was removed (by the command that held the lock before us).
    var directoryRemoved: Bool {
        var st = stat()
        return fstat(fd, &st) == 0 && st.st_nlink == 0
    }

    deinit { close(fd) }
}
