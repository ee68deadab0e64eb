// `linux.seccomp`: names the spec lists (libseccomp's), and the combinations the spec or
// runc rule out before libseccomp ever sees them.

extension SpecValidator {
    mutating func checkSeccomp(_ s: LinuxSeccomp, at path: IssuePath) {
        let syscalls = s.syscalls ?? []
        // runc reads an empty defaultAction with no rules as "no seccomp"; keep that.
        if s.defaultAction.isEmpty && syscalls.isEmpty { return }
        var usesNotify = false
        if s.defaultAction.isEmpty {
            error(path.dot("defaultAction"), "is required")
        } else if !KnownNames.seccompActions.contains(s.defaultAction) {
            error(path.dot("defaultAction"), "unknown seccomp action \(jsonQuoted(s.defaultAction))")
        } else if s.defaultAction == "SCMP_ACT_NOTIFY" {
            error(path.dot("defaultAction"), "SCMP_ACT_NOTIFY cannot be used as the default action")
            usesNotify = true
        }
        if s.defaultErrnoRet != nil && !takesErrno(s.defaultAction) {
            error(path.dot("defaultErrnoRet"), "can only be set with SCMP_ACT_ERRNO or SCMP_ACT_TRACE")
        }
        for (i, arch) in (s.architectures ?? []).enumerated() where !KnownNames.seccompArchitectures.contains(arch) {
            error(path.dot("architectures").at(i), "unknown seccomp architecture \(jsonQuoted(arch))")
        }
        for (i, flag) in (s.flags ?? []).enumerated() where !KnownNames.seccompFlags.contains(flag) {
            error(path.dot("flags").at(i), "unknown seccomp flag \(jsonQuoted(flag))")
        }
        for (i, rule) in syscalls.enumerated() {
            if checkSyscallRule(rule, at: path.dot("syscalls").at(i)) { usesNotify = true }
        }
        let listener = s.listenerPath ?? ""
        if usesNotify && listener.isEmpty {
            error(path.dot("listenerPath"), "is required when SCMP_ACT_NOTIFY is used")
        }
        if !listener.isEmpty && !usesNotify {
            warn(path.dot("listenerPath"), "ignored: no rule uses SCMP_ACT_NOTIFY")
        }
        if let meta = s.listenerMetadata, !meta.isEmpty, listener.isEmpty {
            error(path.dot("listenerMetadata"), "must not be set without listenerPath")
        }
    }

    /// Returns whether the rule uses SCMP_ACT_NOTIFY.
    private mutating func checkSyscallRule(_ rule: LinuxSyscall, at path: IssuePath) -> Bool {
        if rule.names.isEmpty { error(path.dot("names"), "must contain at least one syscall name") }
        for (j, name) in rule.names.enumerated() where name.isEmpty {
            error(path.dot("names").at(j), "must not be empty")
        }
        let notify = rule.action == "SCMP_ACT_NOTIFY"
        if rule.action.isEmpty {
            error(path.dot("action"), "is required")
        } else if !KnownNames.seccompActions.contains(rule.action) {
            error(path.dot("action"), "unknown seccomp action \(jsonQuoted(rule.action))")
        } else if notify, let j = rule.names.firstIndex(of: "write") {
            // The runtime itself must write to the seccomp agent; trapping write would deadlock.
            error(path.dot("names").at(j), "SCMP_ACT_NOTIFY cannot be used for the write syscall")
        }
        if rule.errnoRet != nil && !rule.action.isEmpty && !takesErrno(rule.action) {
            error(path.dot("errnoRet"), "can only be set with SCMP_ACT_ERRNO or SCMP_ACT_TRACE")
        }
        for (k, arg) in (rule.args ?? []).enumerated() {
            let at = path.dot("args").at(k)
            if arg.index >= 6 { error(at.dot("index"), "must be less than 6 (syscalls have six arguments), got \(arg.index)") }
            if !KnownNames.seccompOperators.contains(arg.op) {
                error(at.dot("op"), "unknown seccomp operator \(jsonQuoted(arg.op))")
            }
        }
        return notify
    }
}

private func takesErrno(_ action: String) -> Bool { action == "SCMP_ACT_ERRNO" || action == "SCMP_ACT_TRACE" }
