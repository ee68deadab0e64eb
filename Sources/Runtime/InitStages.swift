// The stages of the init process, in the order InitPipeline lists them.
#if canImport(Glibc)
import Glibc
#endif
import CShims
import Linux
import OCISpec
import Security

enum InitStages {
    /// setns into a user or mount namespace, unshare(CLONE_NEWUSER) and a clone into a new
    /// user namespace fail with EINVAL in a multi-threaded process: an EINVAL says so plainly
    /// when that is the cause, instead of letting the kernel's answer puzzle someone. Asked
    /// only then: counting threads up front cost every create a /proc lookup.
    static func explainingThreads(_ error: Error) -> Error {
        guard (error as? SyscallError)?.errno == EINVAL else { return error }
        let threads = ProcessInfo.threadCount()
        guard threads > 1 else { return error }
        return RuntimeError("init must be single-threaded, has \(threads) threads: \(error)")
    }

    /// The fds the parent made after the bootstrap, by name (PassedFDName), before the clone
    /// so the container's init has them.
    static func receivePassedFDs(_ c: InitContext) throws {
        for _ in 0..<(c.bootstrap.passedFDsFollow ?? 0) {
            let (message, fd) = try c.sync.expect(.passedFD, while: "receive fds")
            guard case .passedFD(let name) = message, fd >= 0 else { throw RuntimeError("sync: a passedFD message without its fd") }
            if name == PassedFDName.execFifo { c.fifoFD = fd } else { c.passedFDs[name] = fd }
        }
    }

    static func waitForCgroups(_ c: InitContext) throws {
        _ = try c.sync.expect(.proceed, while: "cgroups")
    }

    /// Stage 1 joins the container's cgroups itself, before any namespace changes what the
    /// paths mean. Moving another process (the parent writing init's pid to cgroup.procs)
    /// takes the kernel's global threadgroup lock, whose first taker waits a whole RCU grace
    /// period (10-20 ms here). A single-threaded process writing "0" to a v1 `tasks` file
    /// moves only itself and skips that lock; for cgroup2 the child is cloned straight into
    /// the cgroup (CLONE_INTO_CGROUP), which needs no migration at all.
    /// The v1 pids cgroup is the exception: the clone made inside it would count against
    /// pids.max (a limit of 0 must still work), so only its `tasks` file is opened here, while
    /// the host's paths are still visible, and the container's init moves itself through it
    /// after the clone (joinCgroup): a move is charged but never refused.
    static func joinCgroupsItself(_ c: InitContext) throws {
        guard let paths = c.bootstrap.selfJoinCgroups else { return }
        for (controller, dir) in paths.sorted(by: { $0.key < $1.key }) where !controller.isEmpty {
            let tasks = dir + "/tasks"
            if controller == "pids" {
                c.pidsTasksFD = try check("open", path: tasks) { open(tasks, O_WRONLY | O_CLOEXEC) }
                continue
            }
            try context("cgroup \(controller)") { try FileSystem.writeExisting(tasks, "0") }
        }
        if let unified = paths[""] {
            c.cgroup2FD = try check("open", path: unified) { open(unified, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
            c.cgroup2Path = unified
        }
    }

    static func joinNamespaces(_ c: InitContext) throws {
        let entries = c.spec.linux?.namespaces ?? []
        for kind in NamespaceKind.joinOrder {
            guard let entry = entries.first(where: { $0.type == kind.rawValue }) else { continue }
            if let path = entry.path, !path.isEmpty {
                try Namespaces.join(kind, path: path)
            } else if kind == .network && c.networkNamespaceMade {
                continue
            } else if kind == .cgroup {
                // Unshared by init itself once it is in the container's cgroup (joinCgroup).
                c.newCgroupNamespace = true
            } else if kind != .time {
                c.cloneFlags |= UInt64(UInt32(bitPattern: kind.cloneFlag))
                if kind == .user { c.newUserNamespace = true }
            }
        }
        // With a new user namespace, the IPC namespace is made by init once it is root in it
        // (waitForParent): its mqueue filesystem is owned by whoever creates it, and runc's
        // containers see /dev/mqueue owned by root, not by the overflow uid.
        let ipc = UInt64(UInt32(bitPattern: NamespaceKind.ipc.cloneFlag))
        if c.newUserNamespace && c.cloneFlags & ipc != 0 {
            c.cloneFlags &= ~ipc
            c.newIPCNamespaceAsRoot = true
        }
    }

    /// Stage 1 moves itself into a new network namespace and brings its loopback up; the
    /// container's init, cloned later, is born in it.
    static func unshareNetworkNamespace(_ c: InitContext) throws {
        try Namespaces.unshare(NamespaceKind.network.cloneFlag, what: "network namespace")
        try InterfaceFlags.bringUp("lo")
        c.networkNamespaceMade = true
    }

    static func unshareTimeNamespace(_ c: InitContext) throws {
        // Offsets can only be written before the first process enters the namespace, so
        // stage 1 unshares it (its children enter) and writes them before cloning.
        try Namespaces.unshare(NamespaceKind.time.cloneFlag, what: "time namespace")
        var lines = ""
        for (clock, offset) in (c.spec.linux?.timeOffsets ?? [:]).sorted(by: { $0.key < $1.key }) {
            lines += "\(clock) \(offset.secs ?? 0) \(offset.nanosecs ?? 0)\n"
        }
        if !lines.isEmpty {
            try context("linux.timeOffsets") { try FileSystem.writeExisting("/proc/self/timens_offsets", lines) }
        }
    }

    /// The parent's go-ahead: it has our pid (and wrote our id maps when we have a new user
    /// namespace, or moved the netDevices into our network namespace). Until then we must not
    /// write to the shared sync pipe. With nothing for the parent to do first, the go-ahead is
    /// only read before our first message (InitContext.completeRegistration): the round trip
    /// through the parent then overlaps our rootfs setup.
    static func waitForParent(_ c: InitContext) throws {
        let parentActsFirst = c.newUserNamespace || !(c.spec.linux?.netDevices?.isEmpty ?? true)
        if parentActsFirst { try c.completeRegistration() }
        if c.newUserNamespace {
            // Root of the new namespace, with its full capability set.
            // uid first, then the IPC namespace, then gid: the order runc's nsexec has, so
            // /dev/mqueue comes out owned as in runc's containers (0 and the overflow gid).
            try Credentials.setUID(0)
            if c.newIPCNamespaceAsRoot {
                try Namespaces.unshare(NamespaceKind.ipc.cloneFlag, what: "ipc namespace")
            }
            try Credentials.setGID(0)
        }
    }

    /// Completes the move into the container's cgroup (our own pids-cgroup join, or waiting
    /// for the parent's move when it does it for us), then makes that cgroup the root of a new
    /// cgroup namespace.
    static func joinCgroup(_ c: InitContext) throws {
        if c.pidsTasksFD >= 0 {
            defer { close(c.pidsTasksFD); c.pidsTasksFD = -1 }
            let written = "0".withCString { write(c.pidsTasksFD, $0, 1) }
            if written != 1 {
                throw SyscallError("write", path: (c.bootstrap.selfJoinCgroups?["pids"] ?? "pids cgroup") + "/tasks")
            }
        }
        if c.bootstrap.selfJoinCgroups == nil { try c.request(.needCgroup, stage: "cgroup") }
        if c.newCgroupNamespace {
            try Namespaces.unshare(NamespaceKind.cgroup.cloneFlag, what: "cgroup namespace")
        }
    }

    static func prepareRootfs(_ c: InitContext) throws {
        var setup = RootfsSetup(spec: c.spec, bundle: c.bootstrap.bundle)
        setup.idmappedSources = IDMappedSources.received(c.passedFDs, mountCount: c.spec.mounts?.count ?? 0)
        setup.cgroupHierarchies = c.bootstrap.cgroupHierarchies
        try setup.prepare()
        c.rootfs = setup
    }

    static func runtimeHooks(_ c: InitContext) throws {
        let hooks = c.spec.hooks
        let any = !(hooks?.prestart?.isEmpty ?? true) || !(hooks?.createRuntime?.isEmpty ?? true)
        if any { try c.request(.runRuntimeHooks, stage: "runtime hooks") }
    }

    static func createContainerHooks(_ c: InitContext) throws {
        guard let hooks = c.spec.hooks?.createContainer, !hooks.isEmpty else { return }
        try HookRunner.run(hooks, kind: .createContainer, state: c.state(.creating))
    }

    static func pivotRoot(_ c: InitContext) throws {
        if let setup = c.rootfs { return try setup.pivot(noPivot: c.bootstrap.noPivot) }
        // No mount namespace: a chroot, and nothing mounts /proc in the rootfs. What init still
        // needs from the host's /proc is read now, or kept open (to reopen the exec fifo).
        c.lastCapability = try CapabilityName.kernelLastCapability()
        c.hostProcFD = try check("open", path: "/proc") { open("/proc", OpenFlag.path | OpenFlag.directory | OpenFlag.closeOnExec) }
        try RootfsSetup(spec: c.spec, bundle: c.bootstrap.bundle).pivot(noPivot: c.bootstrap.noPivot)
    }

    static func finalizeRootfs(_ c: InitContext) throws {
        try c.rootfs?.finalize()
    }

    static func setHostname(_ c: InitContext) throws {
        if let name = c.spec.hostname, !name.isEmpty {
            try context("hostname") { try check("sethostname", path: name) { sethostname(name, name.utf8.count) } }
        }
        if let name = c.spec.domainname, !name.isEmpty {
            try context("domainname") { try check("setdomainname", path: name) { setdomainname(name, name.utf8.count) } }
        }
    }

    static func applySysctls(_ c: InitContext) throws {
        for (key, value) in (c.spec.linux?.sysctl ?? [:]).sorted(by: { $0.key < $1.key }) {
            let path = "/proc/sys/" + key.replacingDots()
            try context("linux.sysctl[\"\(key)\"]") { try ProcFiles.write(path, value) }
        }
    }

    static func setupConsole(_ c: InitContext) throws {
        let console = try Console.open()
        if let size = c.process.consoleSize { try console.setWindowSize(rows: size.height, columns: size.width) }
        if c.bootstrap.consoleToParent {
            try c.request(.consoleMaster, fd: console.master, stage: "console")
        }
        close(console.master)
        try console.makeControllingTerminal()
        if c.bootstrap.mode == .create && c.hasNewMountNamespace { try console.bindToDevConsole() }
        close(console.slave)
    }

    static func applyRlimits(_ c: InitContext) throws {
        for (index, limit) in (c.process.rlimits ?? []).enumerated() {
            try context("process.rlimits[\(index)]") { try Rlimits.set(limit.type, soft: limit.soft, hard: limit.hard) }
        }
    }

    static func applyOOMScore(_ c: InitContext) throws {
        try context("process.oomScoreAdj") {
            try FileSystem.writeExisting("/proc/self/oom_score_adj", String(c.process.oomScoreAdj ?? 0))
        }
    }

    static func prepareEnvironment(_ c: InitContext) throws {
        var env = c.process.env ?? []
        if let listen = c.bootstrap.listenFDs {
            env.append("LISTEN_FDS=\(listen)")
            env.append("LISTEN_PID=1")
        }
        if !env.contains(where: { $0.hasPrefix("HOME=") }) {
            env.append("HOME=\(UserDatabase.home(of: c.process.user.uid) ?? "/")")
        }
        c.environment = env
    }

    static func lookupExecutable(_ c: InitContext) throws {
        guard let name = c.process.args?.first else { throw RuntimeError("process.args: must not be empty") }
        let path = c.environment.last(where: { $0.hasPrefix("PATH=") }).map { String($0.dropFirst(5)) }
        c.executable = try ExecutableLookup.find(name, path: path, cwd: c.process.cwd)
    }

    static func applyLSMLabels(_ c: InitContext) throws {
        if let profile = c.process.apparmorProfile, !profile.isEmpty {
            try AppArmor.applyOnExec(profile: profile)
        }
        if let label = c.process.selinuxLabel, !label.isEmpty {
            try SELinux.setExecLabel(label)
        }
    }

    static func setNoNewPrivileges(_ c: InitContext) throws {
        try Security.setNoNewPrivileges()
    }

    static func loadSeccomp(_ c: InitContext) throws {
        guard let bpf = c.seccompBPF else { return }
        let program = SeccompProgram(bpf: bpf, flags: c.bootstrap.seccompFlags ?? 0, usesNotify: c.bootstrap.seccompNotify ?? false)
        if let listener = try SeccompLoader.load(program) {
            try c.request(.seccompListener, fd: listener, stage: "seccomp")
            close(listener)
        }
    }

    static func switchUserAndCapabilities(_ c: InitContext) throws {
        let user = c.process.user
        var caps = try Capabilities(c.process.capabilities ?? LinuxCapabilities(),
                                    lastCapability: try c.lastCapability ?? CapabilityName.kernelLastCapability())
        if let warning = caps.warning { Logger.shared.warning(warning) }
        // config.md: a capability that cannot be granted (it is not in our own bounding set,
        // like CAP_SYS_RESOURCE on some VMs) is a warning, not a failure.
        let requested = CapabilitySet(bits: caps.bounding.bits | caps.effective.bits | caps.permitted.bits
                                      | caps.inheritable.bits | caps.ambient.bits)
        // Only the requested ones are asked about: one prctl each, instead of one per capability
        // the kernel knows.
        let missing = CapabilitySet(requested.numbers.filter { sl_prctl(23 /* PR_CAPBSET_READ */, UInt($0), 0, 0, 0) != 1 })
        if !missing.numbers.isEmpty {
            Logger.shared.warning("ignoring capabilities this runtime does not hold itself: \(missing)")
            let keep = ~missing.bits
            caps.bounding = CapabilitySet(bits: caps.bounding.bits & keep)
            caps.effective = CapabilitySet(bits: caps.effective.bits & keep)
            caps.permitted = CapabilitySet(bits: caps.permitted.bits & keep)
            caps.inheritable = CapabilitySet(bits: caps.inheritable.bits & keep)
            caps.ambient = CapabilitySet(bits: caps.ambient.bits & keep)
        }
        try caps.prepareForUserSwitch()
        try caps.dropBoundingSet()
        try context("process.user.additionalGids") { try setGroupsUnlessDenied(user.additionalGids ?? []) }
        try context("process.user.gid") { try Credentials.setGID(user.gid) }
        try context("process.user.uid") { try Credentials.setUID(user.uid) }
        _ = try caps.apply()
    }

    static func enterCwd(_ c: InitContext) throws {
        let cwd = c.process.cwd
        if chdir(cwd) != 0 {
            throw RuntimeError("chdir to cwd (\"\(cwd)\") set in config.json failed: \(errnoDescription(errno))")
        }
        // Without one in the config, the caller's umask stays (config.md).
        if let mask = c.process.user.umask { umask(mode_t(mask)) }
    }

    static func reportReady(_ c: InitContext) throws {
        try c.completeRegistration()
        try c.sync.send(.ready)
        c.sync.close()
    }

    static func waitForStart(_ c: InitContext) throws {
        // Opening the fifo for writing blocks until `start` opens it for reading. The write
        // end stays open (close-on-exec) so `start` learns of a failure before exec: it reads
        // until the exec closes the fifo.
        let path = "/proc/self/fd/\(c.fifoFD)"
        let fd = try check("open exec fifo", path: path) {
            c.hostProcFD >= 0 ? openat(c.hostProcFD, "self/fd/\(c.fifoFD)", O_WRONLY | O_CLOEXEC) : open(path, O_WRONLY | O_CLOEXEC)
        }
        if c.hostProcFD >= 0 { close(c.hostProcFD); c.hostProcFD = -1 }
        _ = write(fd, "0", 1)
        close(c.fifoFD)
        c.fifoWriteFD = fd
    }

    static func startContainerHooks(_ c: InitContext) throws {
        guard var hooks = c.spec.hooks?.startContainer, !hooks.isEmpty else { return }
        // runc's long-standing behaviour, which hooks rely on: without an env of their own
        // they get the container process's environment. The state says created, as runc's.
        for i in hooks.indices where hooks[i].env == nil { hooks[i].env = c.environment }
        try HookRunner.run(hooks, kind: .startContainer, state: c.state(.created))
    }
}

extension InitContext {
    /// For hooks init runs, which are in the container's namespaces: config.md wants the pid
    /// as the container sees it.
    func state(_ status: ContainerStatus) -> State {
        State(ociVersion: spec.ociVersion, id: bootstrap.containerID, status: status,
              pid: Int(getpid()), bundle: bootstrap.bundle, annotations: spec.annotations)
    }
}

extension String {
    func replacingDots() -> String { String(map { $0 == "." ? "/" : $0 }) }
}
