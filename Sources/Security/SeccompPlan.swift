// `linux.seccomp` checked and resolved into what libseccomp is asked to build: every name
// looked up, every error named by its JSON path, nothing handed to libseccomp yet.
import CSeccomp
import OCISpec

struct SeccompPlan {
    struct Rule {
        let path: String
        let syscall: String
        let number: Int32
        let action: SeccompAction
        /// Each inner list becomes one libseccomp rule whose conditions must all hold.
        let conditionSets: [[scmp_arg_cmp]]
    }

    var defaultAction: SeccompAction = .allow
    var defaultErrnoRet: UInt?
    var architectures: [UInt32] = []
    var flags: UInt32 = 0
    var rules: [Rule] = []
    /// Every syscall name of the spec in order, also the skipped ones: the -ENOSYS prologue
    /// looks at all of them, as runc does.
    var syscallNames: [String] = []
    var usesNotify = false

    /// Linux passes at most six arguments to a syscall.
    static let maxArguments: UInt = 6

    /// runc's rule: with neither a default action nor syscalls the filter is off.
    static func isDisabled(_ spec: LinuxSeccomp) -> Bool {
        spec.defaultAction.isEmpty && (spec.syscalls ?? []).isEmpty
    }

    init(_ spec: LinuxSeccomp) throws {
        let base = "linux.seccomp"
        defaultErrnoRet = spec.defaultErrnoRet
        guard let defaultAction = SeccompAction(
            name: spec.defaultAction, errnoRet: try errnoValue(spec.defaultErrnoRet, "\(base).defaultErrnoRet"))
        else {
            throw SecurityConfigError("\(base).defaultAction", "unknown action \(quoted(spec.defaultAction))")
        }
        // A notifying default would catch the write init uses to hand the listener fd over.
        if defaultAction == .notify {
            throw SecurityConfigError("\(base).defaultAction", "SCMP_ACT_NOTIFY cannot be used as default action")
        }
        self.defaultAction = defaultAction

        for (index, name) in (spec.architectures ?? []).enumerated() {
            switch SeccompArchitecture.resolve(name) {
            case .token(let token):
                if !architectures.contains(token) { architectures.append(token) }
            case .unknownName:
                throw SecurityConfigError("\(base).architectures[\(index)]", "unknown architecture \(quoted(name))")
            case .unsupportedByLibseccomp:
                throw SecurityConfigError(
                    "\(base).architectures[\(index)]", "architecture \(quoted(name)) is not supported by libseccomp")
            }
        }

        for (index, call) in (spec.syscalls ?? []).enumerated() {
            try addRules(call, path: "\(base).syscalls[\(index)]")
        }

        try resolveFlags(spec.flags, path: "\(base).flags")
    }

    /// No `flags` at all means SPEC_ALLOW when the kernel has it (runc's default); an empty
    /// list means none. A flag the kernel lacks is an error rather than a silent downgrade.
    private mutating func resolveFlags(_ names: [String]?, path: String) throws {
        guard let names else {
            if SeccompFlag.kernelSupports(SeccompFlag.specAllow) { flags = SeccompFlag.specAllow }
            return
        }
        for (index, name) in names.enumerated() {
            guard let bit = SeccompFlag.bit(name) else {
                throw SecurityConfigError("\(path)[\(index)]", "unknown seccomp flag \(quoted(name))")
            }
            guard SeccompFlag.kernelSupports(bit) else {
                throw SecurityConfigError("\(path)[\(index)]", "\(name) is not supported by the running kernel")
            }
            // It only changes how a notify listener waits; the kernel rejects it without one.
            // Without SCMP_ACT_NOTIFY rules it means nothing, so it is left out rather than
            // failing a filter that features.json says we support.
            if bit == SeccompFlag.waitKillableRecv && !usesNotify { continue }
            flags |= bit
        }
    }

    private mutating func addRules(_ call: LinuxSyscall, path: String) throws {
        guard let action = SeccompAction(
            name: call.action, errnoRet: try errnoValue(call.errnoRet, "\(path).errnoRet"))
        else {
            throw SecurityConfigError("\(path).action", "unknown action \(quoted(call.action))")
        }
        let conditionSets = try Self.conditionSets(call.args ?? [], path: path)
        for (index, name) in call.names.enumerated() {
            let namePath = "\(path).names[\(index)]"
            guard !name.isEmpty else { throw SecurityConfigError(namePath, "empty syscall name") }
            // init writes the listener fd to the parent after loading: a notifying write would
            // wait for an agent that never gets the fd.
            if action == .notify && name == "write" {
                throw SecurityConfigError(namePath, "SCMP_ACT_NOTIFY cannot be used for the write syscall")
            }
            if action == .notify { usesNotify = true }
            syscallNames.append(name)
            // libseccomp refuses a rule that repeats the default action; it changes nothing.
            if action == defaultAction { continue }
            // A name the native architecture does not know is a syscall this kernel may lack:
            // skipped, as runc does.
            let number = seccomp_syscall_resolve_name(name)
            if number == __NR_SCMP_ERROR { continue }
            rules.append(Rule(path: path, syscall: name, number: number, action: action, conditionSets: conditionSets))
        }
    }

    /// Conditions on distinct arguments all have to hold (one rule). When two conditions name
    /// the same argument that cannot be expressed in one libseccomp rule, so each condition
    /// becomes a rule of its own and any of them matches: runc's long-standing meaning.
    static func conditionSets(_ args: [LinuxSeccompArg], path: String) throws -> [[scmp_arg_cmp]] {
        if args.isEmpty { return [[]] }
        var conditions: [scmp_arg_cmp] = []
        var seen = Set<UInt>()
        var sharesIndex = false
        for (index, arg) in args.enumerated() {
            let argPath = "\(path).args[\(index)]"
            guard arg.index < maxArguments else {
                throw SecurityConfigError("\(argPath).index", "\(arg.index) is out of range (syscalls have 6 arguments)")
            }
            guard let op = SeccompOperator.resolve(arg.op) else {
                throw SecurityConfigError("\(argPath).op", "unknown operator \(quoted(arg.op))")
            }
            if !seen.insert(arg.index).inserted { sharesIndex = true }
            conditions.append(scmp_arg_cmp(arg: UInt32(arg.index), op: op, datum_a: arg.value, datum_b: arg.valueTwo ?? 0))
        }
        return sharesIndex ? conditions.map { [$0] } : [conditions]
    }
}

/// ERRNO and TRACE carry 16 bits of return value.
private func errnoValue(_ value: UInt?, _ path: String) throws -> UInt16? {
    guard let value else { return nil }
    guard value <= UInt(UInt16.max) else {
        throw SecurityConfigError(path, "\(value) is out of range (at most \(UInt16.max))")
    }
    return UInt16(value)
}

func quoted(_ text: String) -> String { "\"\(text)\"" }
