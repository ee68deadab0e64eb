// cgroup v2 manager: a single directory in the unified hierarchy.
#if canImport(Glibc)
import Glibc
#endif
import Linux
import OCISpec

public struct V2CgroupManager: CgroupManager {
    public let directory: String
    /// The highest directory whose cgroup.subtree_control create() may write to enable
    /// controllers for the levels below (normally the cgroup2 mount point, as runc does).
    /// nil: enable nothing, only make directories.
    public let delegationRoot: String?

    public init(directory: String, delegationRoot: String? = nil) {
        self.directory = directory
        self.delegationRoot = delegationRoot
    }

    public var paths: [String: String] { ["": directory] }

    public func create() throws {
        var created: [String] = []
        do {
            guard let root = delegationRoot, directory.hasPrefix(root == "/" ? "/" : root + "/") else {
                try CgroupFiles.makeDirectories(directory)
                return
            }
            // Each level from the root down to the container's parent hands all its
            // controllers to its children, so the container's directory gets the knobs.
            let below = directory.dropFirst(root.count).split(separator: "/")
            var current = root
            for component in below {
                Self.enableControllers(in: current)
                current = CgroupFiles.join(current, String(component))
                if mkdir(current, 0o755) == 0 {
                    created.append(current)
                } else if errno != EEXIST {
                    throw SyscallError("mkdir", path: current)
                }
            }
        } catch {
            for dir in created.reversed() { rmdir(dir) }
            throw wrap("create cgroup", error)
        }
    }

    /// Writes cgroup.controllers into cgroup.subtree_control; a controller the kernel
    /// refuses (not delegated, or processes in an inner cgroup) is left out, and its
    /// resource writes later fail with a precise error.
    static func enableControllers(in dir: String) {
        guard let available = try? CgroupFiles.readTrimmed(dir, "cgroup.controllers") else { return }
        let controllers = available.split(separator: " ")
        guard !controllers.isEmpty else { return }
        let enabled = Set(((try? CgroupFiles.readTrimmed(dir, "cgroup.subtree_control")) ?? "").split(separator: " "))
        let missing = controllers.filter { !enabled.contains($0) }
        guard !missing.isEmpty else { return }
        let all = missing.map { "+" + $0 }.joined(separator: " ")
        if (try? CgroupFiles.write(dir, "cgroup.subtree_control", all)) == nil {
            for controller in missing {
                try? CgroupFiles.write(dir, "cgroup.subtree_control", "+" + controller)
            }
        }
    }

    public func addProcess(pid: Int32) throws {
        try wrapping("add process \(pid) to cgroup") { try CgroupTree.addProcess(pid, to: directory) }
    }

    public func apply(_ resources: LinuxResources) throws {
        try V2ResourceWriter(directory: directory).apply(resources)
    }

    public func destroy() throws {
        try wrapping("remove cgroup") { try CgroupTree.remove(directory) }
    }

    public func killAll(signal: Int32) throws {
        if signal == SIGKILL {
            do {
                try CgroupFiles.write(directory, "cgroup.kill", "1")
                return
            } catch let error as SyscallError where error.errno == ENOENT {
                // Kernels before 5.14: signal one by one below.
            } catch {
                throw wrap("kill cgroup", error)
            }
        }
        let froze = (try? freeze()) != nil
        defer { if froze { try? thaw() } }
        try CgroupTree.signal(try pids(), signal)
    }

    public func freeze() throws {
        try wrapping("freeze cgroup") {
            do {
                try CgroupFiles.write(directory, "cgroup.freeze", "1")
            } catch let error as SyscallError where error.errno == ENOENT {
                throw CgroupError("freezer not supported: \(error)")
            }
            guard try waitFrozen() else {
                try? CgroupFiles.write(directory, "cgroup.freeze", "0")
                throw CgroupError("timeout of 10s reached waiting for \(directory) to freeze")
            }
        }
    }

    public func thaw() throws {
        try wrapping("thaw cgroup") {
            do {
                try CgroupFiles.write(directory, "cgroup.freeze", "0")
            } catch let error as SyscallError where error.errno == ENOENT {
                return  // no freezer: nothing can be frozen
            }
        }
    }

    public func freezerState() throws -> FreezerState {
        let wanted: String
        do {
            wanted = try CgroupFiles.readTrimmed(directory, "cgroup.freeze")
        } catch let error as SyscallError where error.errno == ENOENT || error.errno == ENODEV {
            return .undefined
        } catch {
            throw wrap("read freezer state", error)
        }
        switch wanted {
        case "0": return .thawed
        case "1":
            guard try wrapping("read freezer state", { try waitFrozen() }) else {
                throw CgroupError("read freezer state: timeout of 10s reached waiting for \(directory) to freeze")
            }
            return .frozen
        default: throw CgroupError("unknown cgroup.freeze state \"\(wanted)\" in \(directory)")
        }
    }

    /// cgroup.freeze is the request; cgroup.events' "frozen 1" says every task stopped.
    private func waitFrozen() throws -> Bool {
        for _ in 0..<1000 {
            let events = CgroupTree.keyValues(try CgroupFiles.read(directory, "cgroup.events"))
            if events["frozen"] == 1 { return true }
            usleep(10_000)
        }
        return false
    }

    public func pids() throws -> [Int32] {
        try wrapping("list cgroup processes") { try CgroupTree.allProcesses(in: directory) }
    }

    public func stats() throws -> CgroupStats {
        try V2StatsReader(directory: directory).read()
    }

    public func oomKillCount() throws -> UInt64 {
        try wrapping("read OOM kill count") {
            CgroupTree.keyValues(try CgroupFiles.read(directory, "memory.events"))["oom_kill"] ?? 0
        }
    }

    public func oomEventFD() throws -> Int32 {
        try wrapping("watch OOM events") { try OOMEvents.watchV2(directory) }
    }

    public func exists() -> Bool {
        CgroupFiles.isDirectory(directory)
    }
}
