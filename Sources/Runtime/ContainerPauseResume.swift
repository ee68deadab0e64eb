// `pause` and `resume`: the container's freezer cgroup. There is no state to save: `status`
// reads the freezer, so `state` says "paused" exactly while the kernel holds the tasks frozen.
import Cgroups

extension Container {
    /// runc pauses a running or a created container; anything else is "not running".
    public func pause() throws {
        switch status {
        case .running, .created: break
        case .paused, .stopped, .creating: throw RuntimeError("container not running")
        }
        try context("pause container \(id)") { try requireCgroup().freeze() }
    }

    public func resume() throws {
        guard status == .paused else { throw RuntimeError("container not paused") }
        try context("resume container \(id)") { try requireCgroup().thaw() }
    }

    func requireCgroup() throws -> CgroupManager {
        guard let cgroup = cgroup() else {
            throw RuntimeError("container \(id) has no cgroup (its state file lists no cgroup paths)")
        }
        return cgroup
    }
}
