// `swiftlet init`: the re-exec'd process that becomes the container. It is spawned by the
// parent with its sync pipe, log and exec-fifo fds named in the environment.
#if canImport(Glibc)
import Glibc
#endif
import CShims
import Linux
import OCISpec

public enum InitProcess {
    static let cloneParent: UInt64 = 0x0000_8000      // CLONE_PARENT
    static let closeRangeCloexec: UInt32 = 4          // CLOSE_RANGE_CLOEXEC
    static let setDumpable: Int32 = 4                 // PR_SET_DUMPABLE

    public static func main() -> Never {
        guard let syncFD = fdFromEnv(InitEnv.sync) else {
            let message = "swiftlet init is started by swiftlet create, not by hand\n"
            _ = message.withCString { write(2, $0, strlen($0)) }
            exit(2)
        }
        if let logFD = fdFromEnv(InitEnv.log) { Logger.shared.use(fd: logFD) }
        let sync = SyncChannel(fd: syncFD)

        let context: InitContext
        do {
            // The spec comes first: we decode it while the parent validates it.
            let (specMessage, _) = try sync.expect(.spec, while: "bootstrap")
            guard case .spec(let specText) = specMessage else { exit(1) }
            let spec = try decodeSpecWithoutSeccomp(specText)
            let (message, _) = try sync.expect(.bootstrap, while: "bootstrap")
            guard case .bootstrap(let bytes) = message else { exit(1) }
            var bootstrap = try InitBootstrap.read(fromJSON: bytes)
            bootstrap.spec = spec
            Logger.shared.format = bootstrap.logJSON ? .json : .text
            Logger.shared.minimum = bootstrap.debug ? .debug : .info
            context = InitContext(bootstrap: bootstrap, sync: sync)
            if bootstrap.hasSeccomp {
                let (program, _) = try sync.expect(.seccompProgram, while: "bootstrap")
                if case .seccompProgram(let bpf) = program { context.seccompBPF = bpf }
            }
        } catch {
            fail(sync, "bootstrap: \(error)")
        }

        // Hide our fds and binary from the container's processes before joining anything: an
        // exec joins running ones, and a create may join a shared pid namespace. Not a
        // rootless create's init: its user must still reach our /proc (newuidmap writes our
        // id maps, `exec` into the created container opens /proc/<init>/ns/*), which a
        // non-dumpable process whose memory belongs to the host's user namespace refuses to
        // anyone without CAP_SYS_PTRACE there. It holds nothing but that same user's objects.
        if context.bootstrap.mode == .exec || geteuid() == 0 { becomeNonDumpable(sync) }
        do {
            try InitPipeline.run(InitPipeline.stage1, context)
        } catch {
            fail(sync, "\(error)")
        }

        // With CLONE_PARENT the exit signal is inherited (SIGCHLD, stage 1 was forked); clone3 insists on 0.
        let flags = context.cloneFlags | cloneParent
        let shared = context.clonesIntoSharedMemory
        // Shared: returns only in the container's init (0) or on failure; stage 1 reported the
        // pid and exited. A copy: returns the pid in stage 1, which reports it here.
        func clone(into cgroupFD: Int32) -> Int32 {
            shared ? sl_clone3_shared_then_exit(flags, cgroupFD, sync.fd, SyncMessage.Kind.childPid.rawValue)
                : sl_clone3_into_cgroup(flags, 0, cgroupFD)
        }
        var pid = clone(into: context.cgroup2FD)
        var joinCgroup2Later = false
        if pid < 0 && context.cgroup2FD >= 0 {
            // A cgroup2 directory that cannot take a process by clone (e.g. a threaded or
            // controller-less domain): clone normally and move the child the slow way.
            pid = clone(into: -1)
            joinCgroup2Later = true
        }
        if pid < 0 {
            let error = SyscallError("clone into new namespaces", errno: errno)
            fail(sync, "\(InitStages.explainingThreads(error))")
        }
        if pid > 0 {
            do { try sync.send(.childPid(pid)) } catch { exit(1) }
            exit(0)
        }

        // Stage 2: pid 1 of the container. Stage 1's childPid may still be on its way to the
        // parent: nothing is sent before the parent's go-ahead.
        context.registrationPending = true
        if context.cgroup2FD >= 0 { close(context.cgroup2FD) }
        if joinCgroup2Later, let unified = context.cgroup2Path {
            do { try FileSystem.writeExisting(unified + "/cgroup.procs", "0") } catch {
                try? context.completeRegistration()
                fail(sync, "join cgroup \(unified): \(error)")
            }
        }
        var ready = false
        do {
            for stage in context.bootstrap.mode == .exec ? InitPipeline.execStage2 : InitPipeline.stage2 {
                if stage.name == "start barrier" { ready = true }
                try InitPipeline.run([stage], context)
            }
        } catch {
            if ready {
                reportAfterStart(context, "\(error)")
                exit(1)
            }
            try? context.completeRegistration()
            fail(sync, "\(error)")
        }
        execProcess(context)
    }

    static func execProcess(_ c: InitContext) -> Never {
        signal(SIGPIPE, SIG_DFL)
        // Nothing of ours may reach the container: every fd past the preserved ones closes on exec.
        _ = sl_close_range(UInt32(3 + c.bootstrap.preservedFDs), ~0, closeRangeCloexec)
        let args = CStringArray(c.process.args ?? [])
        let env = CStringArray(c.environment)
        _ = args.withPointer { a in env.withPointer { e in execve(c.executable, a, e) } }
        let code = errno
        reportAfterStart(c, "exec \(c.executable): \(errnoDescription(code))")
        exit(code == ENOENT ? 127 : 126)
    }

    /// After the barrier the parent is gone; `start` (or `exec`'s caller) hears of a failure
    /// through the exec fifo, and the log gets it too.
    static func reportAfterStart(_ c: InitContext, _ message: String) {
        Logger.shared.error(message)
        if c.fifoWriteFD >= 0 { try? FileSystem.writeAll(fd: c.fifoWriteFD, Array(message.utf8)) }
    }

    /// Non-dumpable, /proc/<pid>/{exe,fd,cwd,root,mem} of init are out of reach of the
    /// container's processes: otherwise a process exec'd into the container opens the exec
    /// fifo, the sync socket or the log through /proc/<init>/fd while init is still the
    /// runtime (CVE-2016-9962). The execve of the container's process restores dumpability.
    static func becomeNonDumpable(_ sync: SyncChannel) {
        if sl_prctl(setDumpable, 0, 0, 0, 0) != 0 { fail(sync, "prctl(PR_SET_DUMPABLE, 0): \(errnoDescription(errno))") }
    }

    static func fail(_ sync: SyncChannel, _ message: String) -> Never {
        try? sync.send(.failure(message))
        exit(1)
    }

    static func fdFromEnv(_ name: String) -> Int32? {
        guard let text = ProcessInfo.getenv(name), let fd = Int32(text) else { return nil }
        unsetenv(name)
        return fd
    }

}
