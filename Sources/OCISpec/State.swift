// The OCI state of a container (runtime.md "State"), as `state` prints it and hooks read it
// on stdin, plus the process state a seccomp agent receives.

public enum ContainerStatus: String, Codable, Sendable {
    case creating, created, running, stopped
    /// Not an OCI status, but runc reports it and engines parse it.
    case paused
}

public struct State: Codable, Equatable, Sendable {
    public var ociVersion: String
    public var id: String
    public var status: ContainerStatus
    public var pid: Int?
    public var bundle: String
    public var annotations: [String: String]?

    public init(ociVersion: String, id: String, status: ContainerStatus, pid: Int?, bundle: String,
                annotations: [String: String]?) {
        self.ociVersion = ociVersion; self.id = id; self.status = status
        self.pid = pid; self.bundle = bundle; self.annotations = annotations
    }
}

/// Sent with the seccomp listener fd to the agent at `linux.seccomp.listenerPath`.
public struct ContainerProcessState: Codable, Equatable, Sendable {
    public var ociVersion: String
    public var fds: [String]
    public var pid: Int
    public var metadata: String?
    public var state: State

    public init(ociVersion: String, fds: [String], pid: Int, metadata: String?, state: State) {
        self.ociVersion = ociVersion; self.fds = fds; self.pid = pid
        self.metadata = metadata; self.state = state
    }
}

extension State: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("ociVersion", ociVersion)
        o.add("id", id)
        o.add("status", status.rawValue)
        o.add("pid", pid)
        o.add("bundle", bundle)
        o.add("annotations", annotations)
        return o.value
    }
}

public enum SpecVersion {
    /// The runtime-spec version this runtime implements and writes into state.
    public static let current = "1.3.0"
}
