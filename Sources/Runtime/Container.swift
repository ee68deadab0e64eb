// One container as the commands after create see it: its record, its live status, and the
// operations start, kill and delete.
#if canImport(Glibc)
import Glibc
#endif
import Cgroups
import CShims
import Linux
import OCISpec

public struct Container {
    public let store: StateStore
    public var record: ContainerRecord

    public static func load(id: String, store: StateStore) throws -> Container {
        Container(store: store, record: try store.load(id: id))
    }

    public var id: String { record.id }

    public var isInitAlive: Bool { ProcessInfo.isAlive(pid: record.initPid, startTime: record.initStartTime) }
    /// Alive and not already exiting (an exiting init is killing the rest of its pid namespace).
    public var isInitRunning: Bool { ProcessInfo.isRunning(pid: record.initPid, startTime: record.initStartTime) }

    public func cgroup() -> CgroupManager? {
        record.cgroupPaths.isEmpty ? nil : makeCgroupManager(paths: record.cgroupPaths)
    }

    /// Live status: the process decides stopped, the freezer paused (before the exec fifo, as
    /// runc: a created container can be paused too), the exec fifo created.
    public var status: ContainerStatus {
        if !isInitAlive { return .stopped }
        if let cgroup = cgroup(), (try? cgroup.isFrozen()) == true { return .paused }
        if FileSystem.exists(store.fifoPath(for: id)) { return .created }
        return .running
    }

    public func ociState() -> State {
        let status = self.status
        let pid: Int? = (status == .stopped) ? nil : Int(record.initPid)
        return State(ociVersion: record.ociVersion, id: id, status: status, pid: pid,
                     bundle: record.bundle, annotations: record.annotations)
    }

    // MARK: start

    public mutating func start() throws {
        switch status {
        case .created: break
        case .stopped: throw RuntimeError("cannot start a container that has stopped")
        case .running, .paused: throw RuntimeError("cannot start an already running container")
        case .creating: throw RuntimeError("cannot start a container that is still being created")
        }
        // Nothing to write: the exec fifo's absence is what says the container was started.
        try releaseBarrier()
        do {
            // The process was started; a quick one may be gone already, the hooks still get
            // the running state with its pid.
            let state = State(ociVersion: record.ociVersion, id: id, status: .running, pid: Int(record.initPid),
                              bundle: record.bundle, annotations: record.annotations)
            try HookRunner.run(record.poststart, kind: .poststart, state: state)
        } catch {
            // runtime.md (1.2+): a failing poststart hook is an error and stops the container.
            try? signalInit(SIGKILL)
            if let cgroup = cgroup() { try? cgroup.killAll(signal: SIGKILL) }
            waitForInitExit()
            throw error
        }
    }

    /// Reads the byte init writes to the exec fifo, which lets it go on to exec.
    private func releaseBarrier() throws {
        let path = store.fifoPath(for: id)
        // Non-blocking, so a dead init cannot hang us in open or read.
        let fd = try check("open exec fifo", path: path) { open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
        defer { close(fd) }
        var byte: UInt8 = 0
        while true {
            let n = read(fd, &byte, 1)
            if n == 1 { break }
            if n < 0 && errno != EAGAIN && errno != EINTR { throw SyscallError("read", path: path) }
            if !isInitAlive {
                // A fast process may have written, exec'd and exited between our read and
                // this check: its byte is still in the fifo.
                if read(fd, &byte, 1) == 1 { break }
                throw RuntimeError("cannot start a container that has stopped")
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&pfd, 1, 50)
        }
        unlink(path)
        // Init keeps its end open until exec closes it; anything more than the first byte is
        // the error that stopped it (a startContainer hook, exec itself).
        let failure = readUntilClosed(fd)
        if !failure.isEmpty { throw RuntimeError(String(decoding: failure, as: UTF8.self)) }
    }

    private func readUntilClosed(_ fd: Int32) -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { out += buffer[0..<n]; continue }
            if n == 0 { return out }
            if errno == EINTR { continue }
            if errno != EAGAIN { return out }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&pfd, 1, 100)
        }
    }

    // MARK: kill

    /// `signal` is any number (0 probes, the kernel refuses what is out of range), as in runc.
    /// `all` sends it to every process of the cgroup; as in runc 1.5 it also makes a stopped
    /// container no error.
    public func kill(signal: Int32, all: Bool) throws {
        do {
            try deliver(signal, toEveryProcess: all || (signal == SIGKILL && !hasPrivatePidNamespace))
        } catch let error as RuntimeError where all && error.description == RuntimeError.notRunning.description {
            return
        }
    }

    private func deliver(_ signal: Int32, toEveryProcess everyone: Bool) throws {
        if everyone, let cgroup = cgroup(), cgroup.exists() {
            do {
                // Also reaches processes that outlive init, which only a pid 1 takes with it.
                return try cgroup.killAll(signal: signal)
            } catch where record.rootless == true {
                Logger.shared.warning("signal every process of \(id): \(error); signalling init only")
            }
        }
        let status = self.status
        if status == .stopped { throw RuntimeError.notRunning }
        try signalInit(signal)
        // A frozen v1 cgroup holds the SIGKILL until it is thawed.
        if signal == SIGKILL && status == .paused { try? cgroup()?.thaw() }
    }

    /// Whether init is pid 1 of a pid namespace of its own (records from before namespace paths
    /// were kept are taken as so).
    var hasPrivatePidNamespace: Bool {
        guard let paths = record.namespacePaths else { return true }
        return paths["pid"] == "/proc/\(record.initPid)/ns/pid"
    }

    /// Signals init through a pidfd checked against the recorded start time, so a recycled pid
    /// is never hit.
    func signalInit(_ signal: Int32) throws {
        let pidfd = sl_pidfd_open(record.initPid, 0)
        if pidfd < 0 {
            if errno == ESRCH { throw RuntimeError.notRunning }
            throw SyscallError("pidfd_open", path: String(record.initPid))
        }
        defer { close(pidfd) }
        guard isInitAlive else { throw RuntimeError.notRunning }
        if sl_pidfd_send_signal(pidfd, signal) != 0 {
            let code = errno
            if code == ESRCH { throw RuntimeError.notRunning }
            throw RuntimeError("unable to signal init (pid \(record.initPid)) with signal \(signal): pidfd_send_signal: \(errnoDescription(code))")
        }
    }

    // MARK: delete

    public func delete(force: Bool) throws {
        let status = self.status
        switch status {
        case .stopped:
            break
        case .created:
            try? signalInit(SIGKILL)
        case .running, .paused, .creating:
            guard force else {
                throw RuntimeError("cannot delete container \(id) that is not stopped: \(status.rawValue)")
            }
            if let cgroup = cgroup() {
                if status == .paused { try? cgroup.thaw() }
                try? cgroup.killAll(signal: SIGKILL)
            }
            try? signalInit(SIGKILL)
        }
        if status == .stopped {
            // Already gone: at most a zombie of ours (`run`'s init) is left to reap.
            _ = try? ProcessInfo.wait(pid: record.initPid, options: WNOHANG)
        } else {
            waitForInitExit()
        }
        let state = State(ociVersion: record.ociVersion, id: id, status: .stopped, pid: nil,
                          bundle: record.bundle, annotations: record.annotations)
        if let cgroup = cgroup() {
            if status != .stopped || force { try? cgroup.killAll(signal: SIGKILL) }
            try cgroup.destroy()
        }
        // runtime.md: a failing poststop hook is a warning; the others still run.
        for warning in HookRunner.runAll(record.poststop, kind: .poststop, state: state) {
            Logger.shared.warning(warning)
        }
        try store.remove(id: id)
    }

    /// `delete --force` of a container whose state.json is missing (create was killed) or
    /// unreadable: whatever runs in its cgroup is killed and the cgroup removed when
    /// recovery.json names it, then the directory goes. Returns what was done, for the warning.
    public static func forceRemove(id: String, store: StateStore) throws -> String {
        var note = "cgroup unknown (no readable \(store.recoveryPath(for: id))), not removed"
        if let recovery = store.loadRecovery(id: id), !recovery.cgroupPaths.isEmpty {
            let cgroup = makeCgroupManager(paths: recovery.cgroupPaths)
            try? cgroup.thaw()
            try? cgroup.killAll(signal: SIGKILL)
            try cgroup.destroy()
            note = "killed and removed its cgroup"
        }
        try store.remove(id: id)
        return note
    }

    /// Init may be our child (run) or not (create, then reparented): poll its pidfd, and reap
    /// it if it is ours.
    func waitForInitExit(timeout: Double = 10) {
        let pidfd = sl_pidfd_open(record.initPid, 0)
        let deadline = monotonicNow() + timeout
        while isInitAlive && monotonicNow() < deadline {
            if pidfd >= 0 {
                var pfd = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
                _ = poll(&pfd, 1, 100)
            } else {
                usleep(5000)
            }
            _ = try? ProcessInfo.wait(pid: record.initPid, options: WNOHANG)
        }
        if pidfd >= 0 { close(pidfd) }
        _ = try? ProcessInfo.wait(pid: record.initPid, options: WNOHANG)
    }
}
