// What the runtime remembers about a container between commands: `<root>/<id>/state.json`.
import OCISpec

public struct ContainerRecord: Codable, Equatable {
    public var id: String
    public var bundle: String
    /// Absolute path of the root filesystem (runc's `state` shows it).
    public var rootfs: String?
    /// The container's init (pid 1 of its pid namespace), as seen from the host.
    public var initPid: Int32
    /// /proc/<pid>/stat start time, so a recycled pid never passes for the container.
    public var initStartTime: UInt64
    public var created: String
    public var ociVersion: String
    public var annotations: [String: String]?
    /// Hooks that run after create: poststart by `start`, poststop by `delete`.
    public var poststart: [Hook]?
    public var poststop: [Hook]?
    /// controller (or "" for the unified hierarchy) → absolute cgroup directory.
    public var cgroupPaths: [String: String]
    /// Namespace type → /proc/<pid>/ns path or the path the container joined.
    public var namespacePaths: [String: String]?
    public var rootless: Bool?
    /// linux.resources as last applied (create, then each `update`), without the device rules,
    /// which `update` never changes: a later `update` starts from these, as runc's does.
    public var resources: LinuxResources?

    public init(id: String, bundle: String, initPid: Int32, initStartTime: UInt64, created: String,
                ociVersion: String, annotations: [String: String]?, poststart: [Hook]?, poststop: [Hook]?,
                cgroupPaths: [String: String], namespacePaths: [String: String]? = nil,
                rootless: Bool? = nil) {
        self.id = id; self.bundle = bundle; self.initPid = initPid; self.initStartTime = initStartTime
        self.created = created; self.ociVersion = ociVersion; self.annotations = annotations
        self.poststart = poststart; self.poststop = poststop; self.cgroupPaths = cgroupPaths
        self.namespacePaths = namespacePaths; self.rootless = rootless
    }
}
