// cgroup v1 (and hybrid) manager: one directory per mounted controller, plus the cgroup2
// directory under key "" in hybrid mode, joined for cgroup.kill but never given limits.
#if canImport(Glibc)
import Glibc
#endif
import Linux
import OCISpec

public struct V1CgroupManager: CgroupManager {
    public let paths: [String: String]
    /// Controller → its hierarchy's mount point: where cpuset inheritance starts. Empty for a
    /// manager rebuilt from saved paths; create() then finds the mount by filesystem type.
    let mountPoints: [String: String]

    public init(paths: [String: String], mountPoints: [String: String] = [:]) {
        self.paths = paths
        self.mountPoints = mountPoints
    }

    /// Named hierarchies and the hybrid cgroup2 directory are joined best-effort, as runc does:
    /// nothing is enforced through them.
    static func isBestEffort(_ key: String) -> Bool {
        key.isEmpty || key.hasPrefix("name=")
    }

    /// The directory used to list the container's processes (runc uses devices).
    var primaryDirectory: String? {
        for key in ["devices", "memory", "pids", "freezer", "cpu"] {
            if let dir = paths[key] { return dir }
        }
        return paths.keys.sorted().lazy.compactMap { Self.isBestEffort($0) ? nil : paths[$0] }.first
    }

    public func create() throws {
        var created: [String] = []
        do {
            for key in paths.keys.sorted() {
                let dir = paths[key]!
                do {
                    if key == "cpuset" {
                        created += try createCpuset(dir)
                    } else {
                        created += try CgroupFiles.makeDirectories(dir)
                    }
                } catch where Self.isBestEffort(key) {
                    continue
                }
            }
        } catch {
            // Leave no half-made container behind.
            for dir in created.reversed() { rmdir(dir) }
            throw wrap("create cgroup", error)
        }
    }

    /// A cpuset cgroup starts with empty cpus and mems and refuses tasks until they are set,
    /// so each new level copies its parent's values, from the hierarchy root down.
    private func createCpuset(_ dir: String) throws -> [String] {
        var root = mountPoints["cpuset"] ?? Self.findMountPoint(of: dir)
        if root == dir || !dir.hasPrefix(root == "/" ? "/" : root + "/") { root = CgroupFiles.parent(dir) }
        var levels: [String] = []
        var current = dir
        while current != root && current != "/" {
            levels.append(current)
            current = CgroupFiles.parent(current)
        }
        var created: [String] = []
        var parent = current
        for level in levels.reversed() {
            if mkdir(level, 0o755) == 0 {
                created.append(level)
            } else if errno != EEXIST {
                throw SyscallError("mkdir", path: level)
            }
            try Self.inheritCpuset(into: level, from: parent)
            parent = level
        }
        return created
    }

    static func inheritCpuset(into dir: String, from parent: String) throws {
        for knob in ["cpuset.cpus", "cpuset.mems"] {
            let current = try CgroupFiles.readTrimmed(dir, knob)
            if current.isEmpty {
                try CgroupFiles.write(dir, knob, try CgroupFiles.readTrimmed(parent, knob))
            }
        }
    }

    /// The nearest ancestor of `dir` whose parent is no longer cgroupfs. Non-existent
    /// levels are below it by definition.
    static func findMountPoint(of dir: String) -> String {
        var current = dir
        while current != "/" {
            let parent = CgroupFiles.parent(current)
            if let type = CgroupFiles.filesystemType(parent), type != cgroupSuperMagic { return current }
            current = parent
        }
        return current
    }

    public func addProcess(pid: Int32) throws {
        for key in paths.keys.sorted() {
            let dir = paths[key]!
            do {
                try CgroupTree.addProcess(pid, to: dir)
            } catch where Self.isBestEffort(key) {
                continue
            } catch {
                throw wrap("add process \(pid) to cgroup", error)
            }
        }
    }

    public func apply(_ resources: LinuxResources) throws {
        try V1ResourceWriter(paths: paths).apply(resources)
    }

    public func destroy() throws {
        var failures: [String] = []
        for dir in CgroupTree.uniqueDirectories(paths) {
            do {
                try CgroupTree.remove(dir)
            } catch {
                failures.append(String(describing: error))
            }
        }
        if !failures.isEmpty {
            throw CgroupError("remove cgroup: " + failures.joined(separator: "; "))
        }
    }

    public func killAll(signal: Int32) throws {
        if signal == SIGKILL, let unified = paths[""],
           (try? CgroupFiles.write(unified, "cgroup.kill", "1")) != nil {
            // cgroup.kill reaches every process of the cgroup2 directory at once; anything
            // that never joined it (best effort) still gets the signal below.
            try CgroupTree.signal(try pids(), signal)
            return
        }
        // An empty cgroup (a stopped container) has nobody to fork into it: skip the freeze,
        // whose state change is polled.
        let found = try pids()
        if found.isEmpty { return }
        // Freeze first so nothing forks between listing and signalling.
        let froze = (try? freeze()) != nil
        defer { if froze { try? thaw() } }
        try CgroupTree.signal(try pids(), signal)
    }

    public func freeze() throws {
        guard let dir = paths["freezer"] else {
            throw CgroupError("cannot toggle freezer: the freezer cgroup controller is not mounted")
        }
        try V1Freezer.freeze(dir)
    }

    public func thaw() throws {
        guard let dir = paths["freezer"] else {
            throw CgroupError("cannot toggle freezer: the freezer cgroup controller is not mounted")
        }
        try wrapping("thaw cgroup") { try CgroupFiles.write(dir, "freezer.state", "THAWED") }
    }

    public func freezerState() throws -> FreezerState {
        guard let dir = paths["freezer"] else { return .undefined }
        return try V1Freezer.state(dir)
    }

    public func pids() throws -> [Int32] {
        guard let dir = primaryDirectory else { return [] }
        return try wrapping("list cgroup processes") { try CgroupTree.allProcesses(in: dir) }
    }

    public func stats() throws -> CgroupStats {
        try V1StatsReader(paths: paths).read()
    }

    public func oomKillCount() throws -> UInt64 {
        guard let dir = paths["memory"] else {
            throw CgroupError("read OOM kill count: the memory cgroup controller is not mounted")
        }
        return try wrapping("read OOM kill count") {
            let values = CgroupTree.keyValues(try CgroupFiles.read(dir, "memory.oom_control"))
            return values["oom_kill"] ?? 0
        }
    }

    public func oomEventFD() throws -> Int32 {
        guard let dir = paths["memory"] else {
            throw CgroupError("register OOM notification: the memory cgroup controller is not mounted")
        }
        return try wrapping("register OOM notification") { try OOMEvents.registerV1(dir) }
    }

    public func exists() -> Bool {
        guard let dir = primaryDirectory else { return false }
        return CgroupFiles.isDirectory(dir)
    }
}

/// `operation: underlying error`, keeping a CgroupError's field.
func wrap(_ operation: String, _ error: Error) -> CgroupError {
    if let error = error as? CgroupError {
        return CgroupError(field: error.field, "\(operation): \(error.message)", errno: error.errno)
    }
    if let error = error as? SyscallError {
        return CgroupError("\(operation): \(error)", errno: error.errno)
    }
    return CgroupError("\(operation): \(error)")
}

func wrapping<T>(_ operation: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch {
        throw wrap(operation, error)
    }
}
