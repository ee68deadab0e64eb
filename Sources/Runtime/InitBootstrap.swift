// What the parent hands the init process over the sync pipe before any stage runs.
import OCISpec

public enum InitMode: String, Codable {
    /// A new container: namespaces, rootfs, the start barrier.
    case create
    /// A process joining a running container's namespaces and cgroup.
    case exec
}

public struct InitBootstrap: Codable {
    public var mode: InitMode
    public var containerID: String
    public var bundle: String
    /// Sent apart, as the `spec` message that follows the bootstrap: see CodingKeys.
    public var spec = Spec()
    public var noPivot: Bool
    /// Hand the pty master to the parent (it forwards it to --console-socket or, for a
    /// foreground `run`, copies it to its own stdio).
    public var consoleToParent: Bool
    /// fds 3 ..< 3+preservedFDs are the caller's, passed through unchanged.
    public var preservedFDs: Int
    /// `LISTEN_FDS=N` (socket activation) is added to the process env when set.
    public var listenFDs: Int?
    /// Set when a seccompProgram message follows the bootstrap.
    public var hasSeccomp: Bool
    public var seccompFlags: UInt32?
    public var seccompNotify: Bool?
    /// The container's cgroups (controller → directory, "" → cgroup2), for init to join
    /// itself; nil when the parent moves it.
    public var selfJoinCgroups: [String: String]?
    public var debug: Bool
    public var logJSON: Bool
    /// The v1 hierarchies a cgroup mount shows, worked out by the parent (nil: init reads
    /// its mountinfo).
    var cgroupHierarchies: [CgroupHierarchy]? = nil
    /// The parent makes the cgroups while init starts up, and says `proceed` once they exist:
    /// stage 1 waits for that before joining them.
    var cgroupsReadyFollows: Bool? = nil
    /// How many passedFD messages (the exec fifo, idmapped mounts) follow the bootstrap: the
    /// parent makes them after sending it, and stage 1 reads them before it clones.
    var passedFDsFollow: Int? = nil

    /// Everything but the spec, which travels as its own message.
    enum CodingKeys: String, CodingKey {
        case mode, containerID, bundle, noPivot, consoleToParent, preservedFDs, listenFDs, hasSeccomp,
             seccompFlags, seccompNotify, selfJoinCgroups, debug, logJSON, cgroupHierarchies, cgroupsReadyFollows,
             passedFDsFollow
    }
}

/// Env names the parent uses to tell init where its fds are.
enum InitEnv {
    static let sync = "_SWIFTLET_SYNC_FD"
    static let log = "_SWIFTLET_LOG_FD"
}

/// Names of the fds the parent sends init over the sync pipe (SyncMessage.passedFD).
enum PassedFDName {
    static let execFifo = "exec fifo"
    static func idmappedMount(_ index: Int) -> String { "idmapped mount \(index)" }
}
