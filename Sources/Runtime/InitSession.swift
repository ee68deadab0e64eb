// The parent's half of one init process, for create and exec alike: spawn it from the sealed
// binary, hand over the bootstrap, and answer its requests until it reports ready.
#if canImport(Glibc)
import Glibc
#endif
import Cgroups
import CShims
import Linux
import OCISpec
import Security

final class InitSession {
    let channel: SyncChannel
    let stage1: Int32
    private(set) var containerPid: Int32 = -1
    /// The pty master, when init sent one and no console socket was given.
    private(set) var consoleMaster: Int32?

    /// What the parent does for init's requests.
    struct Handlers {
        var idMaps: Linux?
        var cgroup: CgroupManager?
        /// Init joined the cgroup itself (bootstrap.selfJoinCgroups): nothing to move.
        var initJoinsCgroup = false
        var consoleSocket: String?
        var runtimeHooks: ((Int32) throws -> Void)?
        var seccomp: LinuxSeccomp?
        var seccompState: ((Int32) -> State)?
        /// Runs once init's namespaces exist, before init goes on (e.g. moving netDevices).
        var namespacesReady: ((Int32) throws -> Void)?
        /// Runs while init sets up its rootfs, for work that needs only its pid.
        var whileInitSetsUp: ((Int32) throws -> Void)?
    }

    /// Spawns `swiftlet init` with the caller's fds 3..<3+preserved, then its sync pipe and log
    /// after them, each named by an environment variable holding its number. Anything made
    /// later (the exec fifo, idmapped mounts) follows over the sync pipe (sendFD).
    init(root: String, preserved: Int) throws {
        let (parentEnd, childEnd) = try SyncChannel.pair()
        defer { childEnd.close() }
        let exe: Int32
        do { exe = try SealedBinary.make(scratchDirectory: root + "/.seal") } catch {
            parentEnd.close()
            throw error
        }
        defer { close(exe) }
        var fds: [Int32] = (0..<preserved).map { Int32(3 + $0) }
        fds.append(childEnd.fd)
        fds.append(Logger.shared.fd)
        let base = 3 + preserved
        let env = ["\(InitEnv.sync)=\(base)", "\(InitEnv.log)=\(base + 1)"]
        let argv = CStringArray(["swiftlet", "init"])
        let envp = CStringArray(env)
        let pid = fds.withUnsafeBufferPointer { buf in
            argv.withPointer { a in envp.withPointer { e in sl_spawn_fd(exe, a, e, buf.baseAddress, Int32(buf.count)) } }
        }
        if pid < 0 {
            parentEnd.close()
            throw SyscallError("fork", path: "init")
        }
        channel = parentEnd
        stage1 = pid
    }

    deinit { channel.close() }

    /// Stage 1 may join the cgroups now (bootstrap.cgroupsReadyFollows).
    func cgroupsReady() throws {
        try channel.send(.proceed)
    }

    /// The config as JSON, init's first message: for create, config.json's bytes as read.
    func sendSpec(_ text: [UInt8]) throws {
        try channel.send(.spec(text))
        specSent = true
    }
    private var specSent = false

    /// An fd init finds by `name` (PassedFDName); after the bootstrap, which says how many
    /// follow.
    func sendFD(_ fd: Int32, named name: String) throws {
        try channel.send(.passedFD(name), fd: fd)
    }

    /// The bootstrap, after the spec (encoded from bootstrap.spec unless sendSpec sent it).
    func sendBootstrap(_ bootstrap: InitBootstrap, seccomp: SeccompProgram?) throws {
        if !specSent { try sendSpec(JSONWriter.bytes(bootstrap.spec.json)) }
        try channel.send(.bootstrap(JSONWriter.bytes(bootstrap.json)))
        if let seccomp, !seccomp.isEmpty { try channel.send(.seccompProgram(seccomp.bpf)) }
    }

    /// Runs the conversation to `ready`; returns with init waiting (create) or about to exec.
    func converse(_ h: Handlers, timer: inout StageTimer) throws {
        let (message, _) = try channel.expect(.childPid, while: "namespaces")
        guard case .childPid(let pid) = message else { throw RuntimeError("sync: no child pid") }
        containerPid = pid
        timer.lap("namespaces")
        if let ready = h.namespacesReady {
            try ready(pid)
            timer.lap("namespaces ready")
        }
        // Init waits for this go-ahead before it says anything, so its messages never race
        // stage 1's childPid on the shared pipe; its id maps are written by then. A cgroup
        // move by us (rootless) comes after: it keeps us busy for a grace period while init
        // goes on.
        if h.idMaps?.namespaces?.contains(where: { $0.type == "user" && ($0.path ?? "").isEmpty }) == true {
            try IDMapWriter.write(pid: pid, linux: h.idMaps)
        }
        try channel.send(.proceed)
        // Stage 1 only exits after childPid: reaped once init goes on, so its exit is not
        // on the way.
        stage1Reaped = true  // or not ours to signal any more, if waitpid fails
        if let (_, status) = try ProcessInfo.wait(pid: stage1), status != .exited(0) {
            throw RuntimeError("init stage 1 exited with \(status)")
        }
        if !h.initJoinsCgroup {
            try h.cgroup?.addProcess(pid: pid)
            timer.lap("join cgroup")
        }
        try h.whileInitSetsUp?(pid)
        while true {
            let (message, fd) = try channel.expect(
                SyncMessage.Kinds(.needCgroup) | .runRuntimeHooks | .consoleMaster | .seccompListener | .ready,
                while: "init")
            switch message {
            case .needCgroup:
                break
            case .runRuntimeHooks:
                try h.runtimeHooks?(pid)
                timer.lap("prestart and createRuntime hooks")
            case .consoleMaster:
                guard fd >= 0 else { throw RuntimeError("console: init sent no pty master") }
                if let socket = h.consoleSocket {
                    defer { close(fd) }
                    try ConsoleSocket.send(master: fd, to: socket)
                } else {
                    consoleMaster = fd
                }
            case .seccompListener:
                guard fd >= 0 else { throw RuntimeError("seccomp: init sent no listener fd") }
                defer { close(fd) }
                guard let state = h.seccompState?(pid) else { throw RuntimeError("seccomp: no agent for the listener") }
                try SeccompAgent.send(listener: fd, state: state, pid: pid, seccomp: h.seccomp)
            case .ready:
                timer.lap("init stages")
                return
            default:
                throw RuntimeError("sync: unexpected \(message.kind)")
            }
            try channel.send(.proceed)
        }
    }

    /// Undo: the init processes die, and their zombies are reaped. Safe to call twice: a pid
    /// is never signalled after its reap (it could belong to someone else by then).
    func kill() {
        if killed { return }
        killed = true
        if containerPid > 0 { Glibc.kill(containerPid, SIGKILL); _ = try? ProcessInfo.wait(pid: containerPid) }
        if !stage1Reaped {
            Glibc.kill(stage1, SIGKILL)
            _ = try? ProcessInfo.wait(pid: stage1)
        }
        if let fd = consoleMaster { close(fd); consoleMaster = nil }
    }
    private var killed = false
    private var stage1Reaped = false
}
