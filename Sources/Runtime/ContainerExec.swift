// `exec`: a new process inside a running container. It starts from the container's
// config.json process (as runc does), with the command line's overrides or a whole process
// from `--process FILE`, joins every namespace and the cgroup of the container, and gets the
// container's seccomp filter.
#if canImport(Glibc)
import Glibc
#endif
import Cgroups
import CShims
import Linux
import OCISpec
import Security

public struct ExecOptions {
    public var id: String
    public var root: String
    public var processFile: String?
    public var args: [String] = []
    public var tty = false
    public var consoleSocket: String?
    public var pidfdSocket: String?
    public var detach = false
    public var pidFile: String?
    public var cwd: String?
    public var env: [String] = []
    public var user: String?
    public var additionalGids: [String] = []
    public var capabilities: [String] = []
    public var noNewPrivileges = false
    public var apparmor: String?
    public var processLabel: String?
    public var preserveFDs = 0
    public var ignorePaused = false
    public var cgroupSubpath: String?
    public var debug = false
    public var logJSON = false

    public init(id: String, root: String) { self.id = id; self.root = root }
}

public struct ContainerExec {
    let options: ExecOptions

    public init(options: ExecOptions) { self.options = options }

    public func run() throws -> Int32 {
        let store = StateStore(root: options.root)
        let container = try Container.load(id: options.id, store: store)
        switch container.status {
        case .stopped: throw RuntimeError("cannot exec in a stopped container")
        case .paused where !options.ignorePaused:
            throw RuntimeError("cannot exec in a paused container (use --ignore-paused to override)")
        default: break
        }
        let containerSpec: Spec
        do { containerSpec = try loadSpec(bundle: container.record.bundle) } catch { throw RuntimeError("\(error)") }
        let process = try makeProcess(base: containerSpec.process)
        if process.terminal == true && options.detach && options.consoleSocket == nil {
            throw RuntimeError("cannot allocate tty if runc will detach without setting console socket")
        }
        if process.terminal != true && options.consoleSocket != nil {
            throw RuntimeError("cannot use console socket if runc will not detach or allocate tty")
        }

        let signals = options.detach ? -1 : sl_signalfd_all_blocked()
        if !options.detach && signals < 0 { throw SyscallError("signalfd") }
        defer { if signals >= 0 { close(signals); _ = sl_unblock_all_signals() } }

        var timer = StageTimer(log: Logger.shared)
        let cache = SeccompCache(directory: options.root + "/.seccomp-cache", salt: "\(BuildInfo.version) \(BuildInfo.commit)")
        let seccomp = try containerSpec.linux?.seccomp.map { try cache.program(for: $0) }

        var spec = Spec()
        spec.ociVersion = containerSpec.ociVersion
        spec.process = process
        var linux = Linux()
        linux.namespaces = NamespaceKind.joinOrder.compactMap { kind in
            container.record.namespacePaths?[kind.rawValue].map { LinuxNamespace(type: kind.rawValue, path: $0) }
        }
        // Container-wide settings runc also applies to every exec'd process.
        linux.personality = containerSpec.linux?.personality
        linux.memoryPolicy = containerSpec.linux?.memoryPolicy
        spec.linux = linux

        let cgroup = try execCgroup(container)
        let rootless = container.record.rootless == true
        let session = try InitSession(root: options.root, preserved: options.preserveFDs)
        let bootstrap = InitBootstrap(
            mode: .exec, containerID: options.id, bundle: container.record.bundle, spec: spec, noPivot: false,
            consoleToParent: process.terminal == true, preservedFDs: options.preserveFDs, listenFDs: nil,
            hasSeccomp: !(seccomp?.isEmpty ?? true), seccompFlags: seccomp?.flags, seccompNotify: seccomp?.usesNotify,
            selfJoinCgroups: rootless ? nil : cgroup?.paths, debug: options.debug, logJSON: options.logJSON)
        var handlers = InitSession.Handlers()
        handlers.cgroup = cgroup
        handlers.initJoinsCgroup = cgroup != nil && !rootless
        handlers.consoleSocket = options.consoleSocket
        handlers.seccomp = containerSpec.linux?.seccomp
        handlers.seccompState = { _ in container.ociState() }
        do {
            try session.sendBootstrap(bootstrap, seccomp: seccomp)
            try session.converse(handlers, timer: &timer)
        } catch {
            session.kill()
            if !container.isInitRunning {
                // delete or the init's own exit won the race: say that, not the pipe error.
                throw RuntimeError("exec failed: cannot exec in a stopped container (its init exited while the exec was starting: \(error))")
            }
            throw RuntimeError("exec failed: unable to start container process: \(error)")
        }
        let pid = session.containerPid
        if let socket = options.pidfdSocket {
            do { try PidfdSocket.send(pid: pid, kind: "setns", to: socket) } catch {
                session.kill()
                throw RuntimeError("exec failed: \(error)")
            }
        }
        if let pidFile = options.pidFile {
            try FileSystem.writeAtomically(FileSystem.absolute(pidFile), Array(String(pid).utf8), mode: 0o644)
        }
        if options.detach { return 0 }

        var terminal: TerminalCopier?
        if let master = session.consoleMaster {
            terminal = TerminalCopier(master: master)
            terminal?.enterRawMode()
        }
        defer { terminal?.restore() }
        let status = try Runner.supervise(pid: pid, signals: signals, terminal: &terminal)
        terminal?.drain()
        if status == .signaled(SIGKILL), !container.isInitRunning {
            // The exit code stays the process's (as runc's), but a silent 137 would hide why.
            Logger.shared.warning("exec: the process was killed because the container's init exited")
        }
        return status.shellCode
    }

    /// The container's cgroup, or `--cgroup` sub-cgroup of it (which must exist, as in runc).
    private func execCgroup(_ container: Container) throws -> CgroupManager? {
        guard var paths = Optional(container.record.cgroupPaths), !paths.isEmpty else { return nil }
        if let sub = options.cgroupSubpath, !sub.isEmpty {
            let clean = FileSystem.normalize("/" + sub)
            for (key, dir) in paths {
                let candidate = dir + clean
                guard FileSystem.isDirectory(candidate) else {
                    throw RuntimeError("--cgroup: \(candidate) does not exist")
                }
                paths[key] = candidate
            }
        }
        let manager = makeCgroupManager(paths: paths)
        // A rootless caller may not be allowed to move the process into a delegated cgroup.
        return container.record.rootless == true ? TolerantCgroupManager(inner: manager) : manager
    }

    /// The process to run: `--process FILE` as it is, or the container's process with the
    /// command line's changes.
    func makeProcess(base: Process?) throws -> Process {
        if let file = options.processFile {
            do {
                let process = try loadProcess(path: file)
                for warning in try requireValid(process: process, path: file) { Logger.shared.warning("\(warning)") }
                return process
            } catch {
                throw RuntimeError("\(error)")
            }
        }
        guard !options.args.isEmpty else { throw RuntimeError("exec: no command given (args or --process)") }
        var p = base ?? Process()
        p.args = options.args
        p.terminal = options.tty
        p.consoleSize = nil
        if let cwd = options.cwd { p.cwd = cwd }
        p.env = (p.env ?? []) + options.env
        if let user = options.user {
            let parts = user.split(separator: ":", maxSplits: 1).map(String.init)
            guard let uid = UInt32(parts[0]), parts.count == 1 || UInt32(parts[1]) != nil else {
                throw RuntimeError("--user: \"\(user)\" is not UID[:GID]")
            }
            p.user.uid = uid
            if parts.count == 2 { p.user.gid = UInt32(parts[1])! }
        }
        if !options.additionalGids.isEmpty {
            p.user.additionalGids = try options.additionalGids.map { text in
                guard let gid = UInt32(text) else { throw RuntimeError("--additional-gids: \"\(text)\" is not a number") }
                return gid
            }
        }
        if !options.capabilities.isEmpty {
            var caps = p.capabilities ?? LinuxCapabilities()
            for cap in options.capabilities {
                caps.bounding = (caps.bounding ?? []) + [cap]
                caps.effective = (caps.effective ?? []) + [cap]
                caps.permitted = (caps.permitted ?? []) + [cap]
                caps.ambient = (caps.ambient ?? []) + [cap]
            }
            p.capabilities = caps
        }
        if options.noNewPrivileges { p.noNewPrivileges = true }
        if let profile = options.apparmor { p.apparmorProfile = profile }
        if let label = options.processLabel { p.selinuxLabel = label }
        return p
    }
}
