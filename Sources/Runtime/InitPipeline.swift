// The init process's work as a list of named stages, visible in one place: each can be timed
// (`--debug` logs every stage's duration), tested alone, and reordered here.
#if canImport(Glibc)
import Glibc
#endif
import Linux
import OCISpec

/// One step of container setup inside the init process.
struct InitStage {
    let name: String
    let applies: (InitContext) -> Bool
    let run: (InitContext) throws -> Void

    init(_ name: String, when applies: @escaping (InitContext) -> Bool = { _ in true },
         _ run: @escaping (InitContext) throws -> Void) {
        self.name = name
        self.applies = applies
        self.run = run
    }
}

/// Shared by the stages of one init process.
final class InitContext {
    let bootstrap: InitBootstrap
    let sync: SyncChannel
    /// The exec fifo (O_PATH), once stage 1 received it (receivePassedFDs); -1 for exec.
    var fifoFD: Int32 = -1
    var spec: Spec { bootstrap.spec }
    var process: Process { bootstrap.spec.process ?? Process() }
    /// Set by the namespace stage: the flags init clones its child with.
    var cloneFlags: UInt64 = 0
    var newUserNamespace = false
    var newCgroupNamespace = false
    var newIPCNamespaceAsRoot = false
    /// Stage 1 made the new network namespace itself (makesNetworkNamespaceEarly): the clone
    /// inherits it, and its loopback is already up.
    var networkNamespaceMade = false
    /// The container's cgroup2 directory, for CLONE_INTO_CGROUP.
    var cgroup2FD: Int32 = -1
    var cgroup2Path: String?
    /// The v1 pids cgroup's `tasks` file, opened by stage 1 for the container's init to move
    /// itself after its clone.
    var pidsTasksFD: Int32 = -1
    /// fds the parent sent by name after spawning us (idmapped mounts, PassedFDName).
    var passedFDs: [String: Int32] = [:]
    /// Path of the executable, found before the barrier so `create` reports a missing one.
    var executable = ""
    var environment: [String] = []
    var rootfs: RootfsSetup?
    /// After a chroot without a mount namespace (no /proc in the rootfs): the host's /proc
    /// (O_PATH, until the barrier) and what was read from it before.
    var hostProcFD: Int32 = -1
    var lastCapability: Int32?
    var seccompBPF: [UInt8]?
    /// The exec fifo's write end once `start` has opened it: failures after the barrier are
    /// written there for `start` to report.
    var fifoWriteFD: Int32 = -1

    init(bootstrap: InitBootstrap, sync: SyncChannel) {
        self.bootstrap = bootstrap
        self.sync = sync
    }

    /// Stage 2 has not yet read the parent's go-ahead after stage 1's childPid (waitForParent).
    var registrationPending = false

    /// Reads that go-ahead if still due: before it, a message of ours could interleave with
    /// stage 1's childPid on the shared pipe.
    func completeRegistration() throws {
        guard registrationPending else { return }
        registrationPending = false
        _ = try sync.expect(.proceed, while: "registration")
    }

    /// Asks the parent for something and waits for its go-ahead.
    func request(_ message: SyncMessage, fd: Int32 = -1, stage: String) throws {
        try completeRegistration()
        try sync.send(message, fd: fd)
        _ = try sync.expect(.proceed, while: stage)
    }
}

enum InitPipeline {
    /// Stage 1 runs in the process the parent spawned: join namespaces given by path, prepare
    /// the time namespace, and clone the container's init into the new namespaces.
    static let stage1: [InitStage] = [
        // Here, with the caller's credentials, as runc's nsexec stage 0: once in a new user
        // namespace (or non-dumpable there) /proc/self/oom_score_adj belongs to an unmapped
        // owner and cannot even be opened. Every later process inherits the value.
        InitStage("oom score", when: { $0.process.oomScoreAdj != nil }, InitStages.applyOOMScore),
        // The dearest namespace to make (~0.5 ms here, mostly registering lo), made while the
        // parent still makes the cgroups instead of in the clone after them.
        InitStage("network namespace", when: { $0.makesNetworkNamespaceEarly }, InitStages.unshareNetworkNamespace),
        // Sent after the bootstrap, while we made the network namespace: already here by now.
        InitStage("receive fds", when: { ($0.bootstrap.passedFDsFollow ?? 0) > 0 }, InitStages.receivePassedFDs),
        InitStage("wait for cgroups", when: { $0.bootstrap.cgroupsReadyFollows == true }, InitStages.waitForCgroups),
        InitStage("join cgroups", when: { $0.bootstrap.selfJoinCgroups != nil }, InitStages.joinCgroupsItself),
        InitStage("initial cpu affinity", when: { $0.bootstrap.mode == .exec && $0.process.execCPUAffinity?.initial != nil },
                  InitStages.setInitialCPUAffinity),
        InitStage("join namespaces", InitStages.joinNamespaces),
        InitStage("time namespace", when: { $0.spec.linux?.namespaces?.contains { $0.type == "time" && $0.path == nil } ?? false },
                  InitStages.unshareTimeNamespace),
    ]

    /// Stage 2 is the container's init, pid 1 of its pid namespace.
    static let stage2: [InitStage] = [
        InitStage("registration", InitStages.waitForParent),
        InitStage("loopback", when: { $0.hasNewNetworkNamespace && !$0.networkNamespaceMade }, InitStages.bringUpLoopback),
        // A cgroup mount shows the container's own cgroup (a new namespace's root, or a bind of
        // its directory): join first. Otherwise joining waits until the rootfs is done,
        // overlapping the parent's slow cgroup migration.
        InitStage("join cgroup", when: { $0.needsCgroupBeforeMounts }, InitStages.joinCgroup),
        InitStage("rootfs mounts", when: { $0.hasNewMountNamespace }, InitStages.prepareRootfs),
        InitStage("runtime hooks", InitStages.runtimeHooks),
        InitStage("createContainer hooks", InitStages.createContainerHooks),
        // Also without a mount namespace: root.path is still the process's `/` (a chroot).
        InitStage("pivot root", InitStages.pivotRoot),
        // Before the read-only remounts of finalize: /proc/sys is among readonlyPaths.
        InitStage("hostname", InitStages.setHostname),
        InitStage("sysctl", when: { !($0.spec.linux?.sysctl?.isEmpty ?? true) }, InitStages.applySysctls),
        InitStage("masked and readonly paths", when: { $0.hasNewMountNamespace }, InitStages.finalizeRootfs),
        InitStage("join cgroup", when: { !$0.needsCgroupBeforeMounts }, InitStages.joinCgroup),
    ] + processStages + [
        InitStage("ready", InitStages.reportReady),
        InitStage("start barrier", InitStages.waitForStart),
        InitStage("startContainer hooks", InitStages.startContainerHooks),
    ]

    /// Stage 2 of `exec`: the namespaces (joined by stage 1) already hold the container; only
    /// the process's own attributes are set up, and it execs as soon as it is ready.
    static let execStage2: [InitStage] = [
        InitStage("registration", InitStages.waitForParent),
        InitStage("join cgroup", InitStages.joinCgroup),
    ] + processStages + [
        InitStage("ready", InitStages.reportReady),
    ]

    /// The process's own attributes, in runc's order; the same for a container's init and for
    /// an exec'd process.
    static let processStages: [InitStage] = [
        InitStage("cpu affinity", InitStages.setCPUAffinityAfterCgroup),
        InitStage("console", when: { $0.process.terminal == true }, InitStages.setupConsole),
        InitStage("rlimits", InitStages.applyRlimits),
        InitStage("environment", InitStages.prepareEnvironment),
        InitStage("lookup executable", InitStages.lookupExecutable),
        InitStage("lsm labels", InitStages.applyLSMLabels),
        InitStage("no new privileges", when: { $0.process.noNewPrivileges == true }, InitStages.setNoNewPrivileges),
        InitStage("scheduler", when: { $0.process.scheduler != nil }, InitStages.applyScheduler),
        InitStage("io priority", when: { $0.process.ioPriority != nil }, InitStages.applyIOPriority),
        InitStage("personality", when: { $0.spec.linux?.personality != nil }, InitStages.applyPersonality),
        InitStage("memory policy", when: { $0.spec.linux?.memoryPolicy != nil }, InitStages.applyMemoryPolicy),
        InitStage("seccomp (before user switch)", when: { $0.seccompBPF != nil && $0.process.noNewPrivileges != true },
                  InitStages.loadSeccomp),
        InitStage("user and capabilities", InitStages.switchUserAndCapabilities),
        InitStage("cwd and umask", InitStages.enterCwd),
        InitStage("seccomp", when: { $0.seccompBPF != nil && $0.process.noNewPrivileges == true },
                  InitStages.loadSeccomp),
    ]

    static func run(_ stages: [InitStage], _ context: InitContext) throws {
        let log = Logger.shared
        for stage in stages where stage.applies(context) {
            let start = monotonicNow()
            do {
                try stage.run(context)
            } catch {
                throw RuntimeError("\(stage.name): \(InitStages.explainingThreads(error))")
            }
            log.debug("init stage \"\(stage.name)\" took \(formatMillis(monotonicNow() - start))")
        }
    }
}

func formatMillis(_ seconds: Double) -> String {
    let micros = Int((seconds * 1_000_000).rounded())
    let frac = String(micros % 1000)
    return "\(micros / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)ms"
}

extension InitContext {
    var needsCgroupBeforeMounts: Bool {
        spec.mounts?.contains { $0.type == "cgroup" || $0.type == "cgroup2" } ?? false
    }

    var hasNewNetworkNamespace: Bool {
        spec.linux?.namespaces?.contains { $0.type == "network" && ($0.path ?? "").isEmpty } ?? false
    }

    /// A new network namespace that stage 1 can make before the cgroups exist: not with a user
    /// namespace (new or joined), which must own it and is entered or made only later. Like
    /// crun's, which clones all namespaces before the cgroup, its kernel memory is charged to
    /// the caller's memory cgroup rather than the container's.
    var makesNetworkNamespaceEarly: Bool {
        bootstrap.mode == .create && hasNewNetworkNamespace
            && !(spec.linux?.namespaces?.contains { $0.type == "user" } ?? false)
    }

    /// Stage 1 clones the container's init into its own memory (sl_clone3_shared_then_exit)
    /// instead of a copy: the kernel refuses CLONE_VM while a time namespace, new or joined,
    /// waits for the children, so not with one.
    var clonesIntoSharedMemory: Bool {
        !(spec.linux?.namespaces?.contains { $0.type == "time" } ?? false)
    }

    var hasNewMountNamespace: Bool {
        spec.linux?.namespaces?.contains { $0.type == "mount" } ?? false
    }
}
