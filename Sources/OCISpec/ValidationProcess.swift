// `process`: what runc's validateProcessSpec and the spec's POSIX/Linux process sections require.

extension SpecValidator {
    mutating func checkProcess(_ process: Process, at path: IssuePath) {
        let args = process.args ?? []
        if args.isEmpty {
            error(path.dot("args"), "must not be empty")
        } else if args[0].isEmpty {
            error(path.dot("args").at(0), "must not be empty")
        }
        for (i, arg) in args.enumerated() where arg.utf8.contains(0) {
            error(path.dot("args").at(i), "must not contain a NUL byte")
        }
        if process.cwd.isEmpty {
            error(path.dot("cwd"), "must not be empty")
        } else if !process.cwd.hasPrefix("/") {
            error(path.dot("cwd"), "must be an absolute path, got \(jsonQuoted(process.cwd))")
        }
        checkEnvironment(process.env, at: path.dot("env"))
        if let umask = process.user.umask, umask > 0o777 {
            error(path.dot("user").dot("umask"), "must be at most 0777 (511), got \(umask)")
        }
        checkRlimits(process.rlimits, at: path.dot("rlimits"))
        if let caps = process.capabilities { checkCapabilities(caps, at: path.dot("capabilities")) }
        if let adj = process.oomScoreAdj, adj < -1000 || adj > 1000 {
            error(path.dot("oomScoreAdj"), "must be in [-1000, 1000], got \(adj)")
        }
        if let scheduler = process.scheduler { checkScheduler(scheduler, at: path.dot("scheduler")) }
        if let io = process.ioPriority { checkIOPriority(io, at: path.dot("ioPriority")) }
        if let affinity = process.execCPUAffinity {
            checkCPUList(affinity.initial, at: path.dot("execCPUAffinity").dot("initial"))
            checkCPUList(affinity.final, at: path.dot("execCPUAffinity").dot("final"))
        }
        if let label = process.selinuxLabel, !label.isEmpty, !isSELinuxEnabled() {
            error(path.dot("selinuxLabel"), "selinux label is specified in config, but selinux is disabled or not supported")
        }
        if let size = process.consoleSize, process.terminal == true, size.height > 0xffff || size.width > 0xffff {
            error(path.dot("consoleSize"), "height and width must fit a terminal's 16-bit size")
        }
    }

    mutating func checkRlimits(_ rlimits: [POSIXRlimit]?, at path: IssuePath) {
        var seen: [String: Int] = [:]
        for (i, limit) in (rlimits ?? []).enumerated() {
            let at = path.at(i)
            if KnownNames.rlimitNumber(limit.type) == nil {
                error(at.dot("type"), "unknown rlimit type \(jsonQuoted(limit.type))")
            } else if let first = seen[limit.type] {
                error(at.dot("type"), "duplicate rlimit type \(jsonQuoted(limit.type)) (first at \(path.at(first)))")
            } else {
                seen[limit.type] = i
            }
            if limit.soft > limit.hard {
                error(at, "soft limit \(limit.soft) is greater than hard limit \(limit.hard)")
            }
        }
    }

    /// The spec says capabilities that cannot be mapped MUST be logged as a warning and
    /// runtimes SHOULD NOT fail; runc warns and drops them. So these are warnings.
    mutating func checkCapabilities(_ caps: LinuxCapabilities, at path: IssuePath) {
        let sets: [(String, [String]?)] = [
            ("bounding", caps.bounding), ("effective", caps.effective), ("inheritable", caps.inheritable),
            ("permitted", caps.permitted), ("ambient", caps.ambient),
        ]
        for (name, list) in sets {
            for (i, cap) in (list ?? []).enumerated() where KnownNames.capabilityNumber(cap) == nil {
                warn(path.dot(name).at(i), "unknown capability \(jsonQuoted(cap)) is ignored")
            }
        }
    }

    mutating func checkScheduler(_ s: Scheduler, at path: IssuePath) {
        if s.policy.isEmpty { return error(path.dot("policy"), "is required") }
        guard KnownNames.schedulerPolicies.contains(s.policy) else {
            return error(path.dot("policy"), "unknown scheduler policy \(jsonQuoted(s.policy))")
        }
        if let nice = s.nice, nice < -20 || nice > 19 {
            error(path.dot("nice"), "must be in [-20, 19], got \(nice)")
        }
        let realtime = s.policy == "SCHED_FIFO" || s.policy == "SCHED_RR"
        let priority = s.priority ?? 0
        if realtime {
            if priority < 1 || priority > 99 {
                error(path.dot("priority"), "must be in [1, 99] for \(s.policy), got \(priority)")
            }
        } else if priority != 0 {
            error(path.dot("priority"), "can only be set for SCHED_FIFO or SCHED_RR")
        }
        let runtime = s.runtime ?? 0, deadline = s.deadline ?? 0, period = s.period ?? 0
        if s.policy == "SCHED_DEADLINE" {
            // sched_setattr(2): runtime <= deadline <= period (a zero period means = deadline).
            if runtime > deadline { error(path.dot("runtime"), "must not exceed deadline (\(deadline))") }
            if period != 0 && deadline > period { error(path.dot("deadline"), "must not exceed period (\(period))") }
        } else if runtime != 0 || deadline != 0 || period != 0 {
            error(path, "runtime, deadline and period can only be set for SCHED_DEADLINE")
        }
        for (i, flag) in (s.flags ?? []).enumerated() where !KnownNames.schedulerFlags.contains(flag) {
            error(path.dot("flags").at(i), "unknown scheduler flag \(jsonQuoted(flag))")
        }
    }

    mutating func checkIOPriority(_ io: LinuxIOPriority, at path: IssuePath) {
        if !KnownNames.ioPriorityClasses.contains(io.class) {
            error(path.dot("class"), "unknown I/O priority class \(jsonQuoted(io.class))")
        }
        if io.priority < 0 || io.priority > 7 {
            error(path.dot("priority"), "must be in [0, 7], got \(io.priority)")
        }
    }

    mutating func checkCPUList(_ list: String?, at path: IssuePath) {
        guard let list, !list.isEmpty else { return }
        do { _ = try CPUList(parsing: list) } catch { self.error(path, error.message) }
    }
}
