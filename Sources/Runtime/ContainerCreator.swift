// `create`, the parent's side: claim the id, compile seccomp, make the cgroup, spawn init
// from the sealed binary and answer its requests until it waits at the start barrier. Any
// failure undoes every step taken, so a failed create leaves no state dir, cgroup or process.
#if canImport(Glibc)
import Glibc
#endif
import Cgroups
import CShims
import Linux
import OCISpec
import Security

public struct CreateOptions {
    public var id: String
    public var bundle: String
    public var root: String
    public var pidFile: String?
    public var consoleSocket: String?
    /// A unix socket that gets a pidfd of the container's init (runc 1.2's --pidfd-socket).
    public var pidfdSocket: String?
    public var noPivot = false
    public var preserveFDs = 0
    public var debug = false
    public var logJSON = false
    /// `run` in the foreground with a terminal and no console socket keeps the pty master.
    public var keepConsoleMaster = false
    /// Unprivileged over the host (`--rootless`): cgroups and id maps fall back, see Rootless.
    public var rootless = false

    public init(id: String, bundle: String, root: String) {
        self.id = id; self.bundle = bundle; self.root = root
    }
}

public struct CreatedContainer {
    public var record: ContainerRecord
    public var spec: Spec
    /// The pty master when the caller asked to keep it.
    public var consoleMaster: Int32?
}

public struct ContainerCreator {
    let options: CreateOptions
    let store: StateStore
    let log = Logger.shared

    public init(options: CreateOptions) {
        self.options = options
        self.store = StateStore(root: options.root)
    }

    public func create() throws -> CreatedContainer {
        let bundle = FileSystem.absolute(options.bundle)
        try StateStore.validate(id: options.id)
        // Init is spawned before config.json is even read: its exec and start-up (~0.8 ms
        // here) run on the other CPU while we read, check and claim, and it decodes the
        // config's text while we validate it. Anything wrong kills it again.
        let listenFDs = ProcessInfo.getenv("LISTEN_FDS").flatMap(Int.init)
        let preserved = options.preserveFDs + (listenFDs ?? 0)
        let session = try InitSession(root: options.root, preserved: preserved)
        let undo = UndoStack()
        undo.push { session.kill() }
        let started = monotonicNow()
        do {
            let specText = try SpecLoading.readText(bundle: bundle)
            // A refused send (init died on its way up) is reported after the config's own errors.
            var sendError: Error?
            do { try session.sendSpec(specText) } catch { sendError = error }
            let spec = try SpecLoading.validated(specText, bundle: bundle)
            try checkProcess(spec)
            if let sendError { throw RuntimeError("unable to start container process: \(sendError)") }
            // Held until create returns, so a concurrent start or delete waits for the state file.
            let lock = try store.claim(id: options.id)
            undo.push { try? store.remove(id: options.id) }
            let result = try withExtendedLifetime(lock) {
                try build(spec: spec, bundle: bundle, session: session, preserved: preserved, listenFDs: listenFDs, undo: undo)
            }
            log.debug("create took \(formatMillis(monotonicNow() - started))")
            undo.discard()
            return result
        } catch {
            undo.run()
            throw error
        }
    }

    /// What create refuses before claiming the id.
    private func checkProcess(_ spec: Spec) throws {
        if spec.process == nil { throw RuntimeError("process: must be set for create") }
        if spec.process?.terminal == true && options.consoleSocket == nil && !options.keepConsoleMaster {
            throw RuntimeError("cannot allocate tty if runc will detach without setting console socket")
        }
        if spec.process?.terminal != true && options.consoleSocket != nil {
            throw RuntimeError("cannot use console socket if runc will not detach or allocate tty")
        }
        if spec.linux?.intelRdt != nil {
            // config-linux.md: without a mounted resctrl the runtime MUST error; with one we
            // still cannot honour it, so say that instead of ignoring it.
            if Container.resctrlMountPoint() == nil {
                throw RuntimeError("linux.intelRdt: no resctrl filesystem is mounted")
            }
            throw RuntimeError("linux.intelRdt: Intel RDT is not supported by swiftlet yet")
        }
    }

    private func build(spec: Spec, bundle: String, session: InitSession, preserved: Int, listenFDs: Int?,
                       undo: UndoStack) throws -> CreatedContainer {
        let id = options.id
        var timer = StageTimer(log: log)
        let prefix = "unable to start container process"

        // Compiling a docker-sized profile costs ~12 ms; the cache keys on the whole profile,
        // libseccomp, the kernel and this build, so a hit is always the same program.
        let cache = SeccompCache(directory: options.root + "/.seccomp-cache", salt: "\(BuildInfo.version) \(BuildInfo.commit)")
        let seccomp = try spec.linux?.seccomp.map { try cache.program(for: $0) }
        timer.lap("compile seccomp")

        let layout = try CgroupLayout.detect()
        let cgroup: CgroupManager?
        // Root: the cgroup's paths are worked out now, and it is made after the bootstrap is
        // sent, while init starts up and decodes it; init joins once we say it exists.
        var toCreate: CgroupManager?
        if options.rootless {
            cgroup = try RootlessCgroups.make(cgroupsPath: spec.linux?.cgroupsPath, containerID: id, layout: layout,
                                          resources: spec.linux?.resources, log: log)
            if let cgroup { try? store.saveRecovery(RecoveryRecord(cgroupPaths: cgroup.paths), id: id) }
        } else {
            let manager = try makeCgroupManager(cgroupsPath: spec.linux?.cgroupsPath, containerID: id, layout: layout)
            cgroup = manager
            toCreate = manager
        }
        if let cgroup {
            undo.push { _ = try? cgroup.killAll(signal: SIGKILL); try? cgroup.destroy() }
            // Undone first: init's processes are gone before the cgroup is removed.
            undo.push { session.kill() }
        }

        // Init gets config.json's own text (it skips linux.seccomp when decoding: the compiled
        // program follows instead of the large profile it came from).
        var bootstrap = InitBootstrap(
            mode: .create, containerID: id, bundle: bundle, noPivot: options.noPivot,
            consoleToParent: spec.process?.terminal == true, preservedFDs: preserved,
            listenFDs: listenFDs, hasSeccomp: !(seccomp?.isEmpty ?? true), seccompFlags: seccomp?.flags,
            seccompNotify: seccomp?.usesNotify, selfJoinCgroups: options.rootless ? nil : cgroup?.paths, debug: options.debug,
            logJSON: options.logJSON)
        if !options.rootless, layout.mode != .unified, let paths = cgroup?.paths,
           spec.mounts?.contains(where: { $0.type == "cgroup" }) == true {
            bootstrap.cgroupHierarchies = CgroupHierarchy.forContainer(layout: layout, paths: paths)
        }
        bootstrap.cgroupsReadyFollows = toCreate != nil
        // The exec fifo and idmapped mounts are made after the bootstrap went, while init
        // makes its network namespace; it reads them before it clones.
        bootstrap.passedFDsFollow = 1 + IDMappedSources.mountsNeedingIDMap(in: spec)
        do {
            try session.sendBootstrap(bootstrap, seccomp: seccomp)
        } catch {
            throw RuntimeError("\(prefix): \(error)")
        }
        timer.lap("bootstrap")

        let fifoPath = store.fifoPath(for: id)
        // Writable by anyone (the container's user opens it for writing at the barrier, after
        // its user switch) and owned by the container's root, as runc makes it.
        let oldMask = umask(0)
        let made = mkfifo(fifoPath, 0o622)
        umask(oldMask)
        if made != 0 { throw SyscallError("mkfifo", path: fifoPath) }
        let (uidMappings, gidMappings) = joinedUserNamespaceMappings(spec: spec)
        let rootUID = hostID(ofContainerID: 0, in: uidMappings)
        let rootGID = hostID(ofContainerID: 0, in: gidMappings)
        try check("chown", path: fifoPath) { chown(fifoPath, rootUID, rootGID) }
        let fifoFD = try check("open", path: fifoPath) { open(fifoPath, sl_o_path() | O_CLOEXEC) }
        defer { close(fifoFD) }
        let idmapped = try IDMappedSources.prepare(spec: spec, bundle: bundle)
        defer { idmapped.closeAll() }
        do {
            try session.sendFD(fifoFD, named: PassedFDName.execFifo)
            for (name, fd) in idmapped.namedFDs.sorted(by: { $0.key < $1.key }) { try session.sendFD(fd, named: name) }
        } catch {
            throw RuntimeError("\(prefix): \(error)")
        }
        timer.lap("exec fifo")

        if let manager = toCreate {
            // Before the cgroup exists: `delete --force` of a create killed from here on finds it.
            try store.saveRecovery(RecoveryRecord(cgroupPaths: manager.paths), id: id)
            try manager.create()
            // Always a device cgroup, as runc: deny all, the config's rules, then the defaults
            // every container needs (null, zero, tty, ptmx, pts, ...).
            var resources = spec.linux?.resources ?? LinuxResources()
            resources.devices = DefaultDeviceRules.containerRules(resources: spec.linux?.resources, linuxDevices: spec.linux?.devices)
            try manager.apply(resources)
            do { try session.cgroupsReady() } catch { throw RuntimeError("\(prefix): \(error)") }
        }
        timer.lap("cgroup")

        let creatingState = { (pid: Int32) in
            State(ociVersion: spec.ociVersion, id: id, status: .creating, pid: Int(pid), bundle: bundle,
                  annotations: spec.annotations)
        }
        var handlers = InitSession.Handlers()
        handlers.idMaps = spec.linux
        handlers.cgroup = cgroup
        // Rootless: the parent moves init, and a refused move is only a warning.
        handlers.initJoinsCgroup = !options.rootless
        handlers.consoleSocket = options.consoleSocket
        handlers.seccomp = spec.linux?.seccomp
        handlers.seccompState = creatingState
        if let devices = spec.linux?.netDevices, !devices.isEmpty {
            handlers.namespacesReady = { pid in try NetDevices.move(devices, intoNamespaceOf: pid) }
        }
        // The state file and the pid file are written while init sets up; only their renames
        // wait for ready.
        var prepared: (record: ContainerRecord, staged: String)?
        var stagedPidFile: (temp: String, path: String)?
        undo.push { if let staged = stagedPidFile { unlink(staged.temp) } }
        handlers.whileInitSetsUp = { pid in
            guard let startTime = ProcessInfo.startTime(of: pid) else {
                throw RuntimeError("container init exited during setup")
            }
            var record = ContainerRecord(
                id: id, bundle: bundle, initPid: pid, initStartTime: startTime, created: rfc3339Now(),
                ociVersion: spec.ociVersion, annotations: spec.annotations, poststart: spec.hooks?.poststart,
                poststop: spec.hooks?.poststop, cgroupPaths: cgroup?.paths ?? [:], rootless: options.rootless)
            record.namespacePaths = namespacePaths(spec: spec, pid: pid)
            record.resources = spec.linux?.resources.map { var r = $0; r.devices = nil; return r }
            if let root = spec.root?.path { record.rootfs = root.hasPrefix("/") ? root : bundle + "/" + root }
            prepared = (record, try store.stage(encoded: try store.encoded(record), id: id))
            if let pidFile = options.pidFile {
                let path = FileSystem.absolute(pidFile)
                stagedPidFile = (try FileSystem.writeTemporary(for: path, Array(String(pid).utf8), mode: 0o644), path)
            }
        }
        handlers.runtimeHooks = { pid in
            // runtime.md: once prestart hooks have run, a failure still ends in delete, which
            // runs the poststop hooks.
            undo.push {
                let stopped = State(ociVersion: spec.ociVersion, id: id, status: .stopped, pid: nil,
                                    bundle: bundle, annotations: spec.annotations)
                for warning in HookRunner.runAll(spec.hooks?.poststop, kind: .poststop, state: stopped) {
                    Logger.shared.warning(warning)
                }
            }
            try HookRunner.run(spec.hooks?.prestart, kind: .prestart, state: creatingState(pid))
            try HookRunner.run(spec.hooks?.createRuntime, kind: .createRuntime, state: creatingState(pid))
        }
        do {
            try session.converse(handlers, timer: &timer)
        } catch {
            throw RuntimeError("\(prefix): \(error)")
        }
        let containerPid = session.containerPid
        if let socket = options.pidfdSocket {
            do { try PidfdSocket.send(pid: containerPid, kind: "standard", to: socket) } catch {
                throw RuntimeError("\(prefix): \(error)")
            }
        }
        let consoleMaster = session.consoleMaster

        // Still alive once ready: a quick exit in between would leave a stopped container's
        // state, which is what runc reports too. The container's init is our child (stage 1
        // cloned it with CLONE_PARENT): waitid answers without a /proc read.
        let exitedDuringSetup = RuntimeError("\(prefix): container init exited during setup")
        guard let (record, staged) = prepared else { throw exitedDuringSetup }
        let exited = ProcessInfo.childHasExited(containerPid)
            ?? !ProcessInfo.isAlive(pid: containerPid, startTime: record.initStartTime)
        if exited { throw exitedDuringSetup }
        try store.commit(staged: staged, id: id)
        if let staged = stagedPidFile {
            try FileSystem.commitTemporary(staged.temp, to: staged.path)
            stagedPidFile = nil
        }
        timer.lap("state")
        return CreatedContainer(record: record, spec: spec, consoleMaster: consoleMaster)
    }

    /// The config's id mappings; for a user namespace joined by a /proc/PID/ns/user path
    /// without mappings, that process's (as runc 1.2+ reads them): container root there is
    /// not host root, and a rootless caller may only hand the exec fifo to ids it owns.
    private func joinedUserNamespaceMappings(spec: Spec) -> ([LinuxIDMapping]?, [LinuxIDMapping]?) {
        let uids = spec.linux?.uidMappings, gids = spec.linux?.gidMappings
        guard (uids ?? []).isEmpty, (gids ?? []).isEmpty,
              let path = spec.linux?.namespaces?.first(where: { $0.type == "user" })?.path,
              path.hasPrefix("/proc/"), path.hasSuffix("/ns/user") else { return (uids, gids) }
        let procDir = String(path.dropLast("/ns/user".count))
        func read(_ file: String) -> [LinuxIDMapping]? {
            (try? FileSystem.readText(procDir + file)).map { IDRanges(mapFile: $0).mappings }
        }
        return (read("/uid_map"), read("/gid_map"))
    }

    /// The host id container id `id` maps to (itself without a user namespace mapping).
    private func hostID(ofContainerID id: UInt32, in mappings: [LinuxIDMapping]?) -> UInt32 {
        for m in mappings ?? [] where id >= m.containerID && id - m.containerID < m.size {
            return m.hostID + (id - m.containerID)
        }
        return id
    }

    private func namespacePaths(spec: Spec, pid: Int32) -> [String: String] {
        var paths: [String: String] = [:]
        for ns in spec.linux?.namespaces ?? [] {
            guard let kind = NamespaceKind(rawValue: ns.type) else { continue }
            paths[ns.type] = ns.path ?? "/proc/\(pid)/ns/\(kind.procName)"
        }
        return paths
    }
}

/// Steps to take back, newest first, if create fails part way.
final class UndoStack {
    private var steps: [() -> Void] = []
    func push(_ step: @escaping () -> Void) { steps.append(step) }
    func run() { while let step = steps.popLast() { step() } }
    func discard() { steps.removeAll() }
}

/// `--debug` timings of the parent's steps.
struct StageTimer {
    let log: Logger
    var last = monotonicNow()
    init(log: Logger) { self.log = log }
    mutating func lap(_ name: String) {
        let now = monotonicNow()
        log.debug("create stage \"\(name)\" took \(formatMillis(now - last))")
        last = now
    }
}
