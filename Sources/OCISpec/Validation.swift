// Static validation of a decoded config.json: every rule the runtime-spec states as a MUST that
// can be checked without touching the kernel, plus the checks runc makes before it starts a
// container. All problems are collected (not just the first), each named by its JSON path, so
// a user fixes a config in one round trip.

/// One problem in a config, located by its JSON path (`linux.namespaces[2].type`).
public struct ValidationIssue: Error, CustomStringConvertible, Equatable, Sendable {
    public var path: String
    public var message: String
    public init(path: String, message: String) { self.path = path; self.message = message }
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// The command-line context that changes what is valid: runc reads the same flags.
public struct ValidationOptions: Equatable, Sendable {
    /// `create`/`run` need a process (runtime-spec: REQUIRED when `start` is called).
    public var requireProcess: Bool
    /// `--systemd-cgroup`: cgroupsPath is then `slice:prefix:name`.
    public var systemdCgroup: Bool
    /// The runtime runs with euid != 0: a user namespace with mappings is required.
    public var rootless: Bool
    /// `--no-pivot`: a private rootfs propagation is unsafe without pivot_root.
    public var noPivotRoot: Bool

    public init(requireProcess: Bool = true, systemdCgroup: Bool = false, rootless: Bool = false,
                noPivotRoot: Bool = false) {
        self.requireProcess = requireProcess
        self.systemdCgroup = systemdCgroup
        self.rootless = rootless
        self.noPivotRoot = noPivotRoot
    }
}

/// Errors make the config unusable; warnings are logged and the container still starts
/// (runc and the spec treat e.g. unknown capabilities and relative mount destinations so).
public struct ValidationReport: Equatable, Sendable {
    public var errors: [ValidationIssue] = []
    public var warnings: [ValidationIssue] = []
    public init() {}
    public var isValid: Bool { errors.isEmpty }
}

/// All errors in `spec`. `bundle`, when given, is the directory that relative paths in the
/// config (root.path) are resolved against, and the root filesystem is checked to exist.
public func validate(_ spec: Spec, bundle: String?, options: ValidationOptions = ValidationOptions()) -> [ValidationIssue] {
    validateSpec(spec, bundle: bundle, options: options).errors
}

/// Errors and warnings of `spec`; see `validate(_:bundle:options:)`.
public func validateSpec(_ spec: Spec, bundle: String?, options: ValidationOptions = ValidationOptions()) -> ValidationReport {
    var v = SpecValidator(spec: spec, options: options)
    v.run(bundle: bundle)
    return v.report
}

/// Checks a process on its own, as `exec --process process.json` supplies one; paths are
/// prefixed with `prefix` (empty for a process.json, whose root is the process object).
public func validateProcess(_ process: Process, prefix: String = "") -> ValidationReport {
    var v = SpecValidator(spec: Spec(), options: ValidationOptions())
    v.checkProcess(process, at: IssuePath(prefix))
    return v.report
}

/// Checks the body of `update --resources` (a LinuxResources object at the JSON root).
public func validateResources(_ resources: LinuxResources, prefix: String = "") -> ValidationReport {
    var v = SpecValidator(spec: Spec(), options: ValidationOptions())
    v.checkResources(resources, at: IssuePath(prefix))
    return v.report
}

/// A JSON path under construction, rendered like the decoder renders coding paths:
/// `a.b[2]`, with keys that are not plain identifiers quoted: `linux.sysctl["net.ipv4.x"]`.
struct IssuePath: CustomStringConvertible {
    var text: String
    init(_ text: String = "") { self.text = text }
    var description: String { text }

    func dot(_ field: String) -> IssuePath { IssuePath(text.isEmpty ? field : text + "." + field) }
    func at(_ index: Int) -> IssuePath { IssuePath(text + "[\(index)]") }
    func key(_ key: String) -> IssuePath {
        if isPlainKey(key) { return dot(key) }
        return IssuePath(text + "[" + jsonQuoted(key) + "]")
    }
}

private func isPlainKey(_ s: String) -> Bool {
    guard !s.isEmpty else { return false }
    return s.utf8.allSatisfy { b in
        (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || b == 0x5f || b == 0x2d
    }
}

/// Walks a spec and collects issues. The checks live in extensions, one file per area.
struct SpecValidator {
    let spec: Spec
    let options: ValidationOptions
    let namespaces: NamespaceSet
    var report = ValidationReport()

    init(spec: Spec, options: ValidationOptions) {
        self.spec = spec
        self.options = options
        self.namespaces = NamespaceSet(spec.linux?.namespaces ?? [])
    }

    mutating func error(_ path: IssuePath, _ message: String) {
        report.errors.append(ValidationIssue(path: path.text, message: message))
    }

    mutating func warn(_ path: IssuePath, _ message: String) {
        report.warnings.append(ValidationIssue(path: path.text, message: message))
    }

    mutating func run(bundle: String?) {
        let top = IssuePath()
        checkVersion(at: top.dot("ociVersion"))
        checkRoot(at: top.dot("root"), bundle: bundle)
        if let process = spec.process {
            checkProcess(process, at: top.dot("process"))
        } else if options.requireProcess {
            error(top.dot("process"), "is required")
        }
        checkHostnames(at: top)
        checkMounts(at: top.dot("mounts"))
        checkHooks(at: top.dot("hooks"))
        checkAnnotations(at: top.dot("annotations"))
        if let linux = spec.linux {
            checkLinux(linux, at: top.dot("linux"))
        } else if options.rootless {
            error(top.dot("linux"), "rootless containers require a user namespace")
        }
    }

    mutating func checkLinux(_ linux: Linux, at path: IssuePath) {
        checkNamespaces(at: path.dot("namespaces"))
        checkUserNamespace(linux, at: path)
        checkSysctl(linux.sysctl, at: path.dot("sysctl"))
        checkTimeOffsets(linux.timeOffsets, at: path.dot("timeOffsets"))
        checkDevices(linux.devices, at: path.dot("devices"))
        checkNetDevices(linux.netDevices, at: path.dot("netDevices"))
        checkRootfsPropagation(linux.rootfsPropagation, at: path.dot("rootfsPropagation"))
        checkRestrictedPaths(linux, at: path)
        checkCgroupsPath(linux.cgroupsPath, at: path.dot("cgroupsPath"))
        if let resources = linux.resources { checkResources(resources, at: path.dot("resources")) }
        if let seccomp = linux.seccomp { checkSeccomp(seccomp, at: path.dot("seccomp")) }
        if let personality = linux.personality { checkPersonality(personality, at: path.dot("personality")) }
        if let policy = linux.memoryPolicy { checkMemoryPolicy(policy, at: path.dot("memoryPolicy")) }
        if let rdt = linux.intelRdt { checkIntelRdt(rdt, at: path.dot("intelRdt")) }
    }

    // MARK: top-level fields

    mutating func checkVersion(at path: IssuePath) {
        let version = spec.ociVersion
        if version.isEmpty { return error(path, "is required") }
        guard let semver = SemanticVersion(version) else {
            return error(path, "\(jsonQuoted(version)) is not a valid SemVer 2.0.0 version")
        }
        if semver.major != 1 {
            error(path, "unsupported major version \(semver.major) in \(jsonQuoted(version)) (runtime-spec 1.x is supported)")
        }
    }

    mutating func checkRoot(at path: IssuePath, bundle: String?) {
        guard let root = spec.root else { return error(path, "is required") }
        let rootPath = path.dot("path")
        if root.path.isEmpty { return error(rootPath, "must not be empty") }
        if root.path.utf8.contains(0) { return error(rootPath, "must not contain a NUL byte") }
        guard let bundle else { return }
        let resolved = root.path.hasPrefix("/") ? root.path : joinPath(bundle, root.path)
        switch fileKind(resolved) {
        case .missing:
            error(rootPath, "\(resolved) does not exist")
        case .other:
            error(rootPath, "\(resolved) is not a directory")
        case .directory:
            // runc refuses a rootfs reached through a symlink: the path the runtime mounts
            // must be the path the user named, or a swapped link could redirect it.
            if let real = realPath(resolved), let bundleReal = realPath(bundle) {
                let expected = root.path.hasPrefix("/") ? cleanPath(resolved) : cleanPath(joinPath(bundleReal, root.path))
                if real != expected {
                    error(rootPath, "\(resolved) is a symlink or not a canonical path (it resolves to \(real))")
                }
            }
        }
    }

    mutating func checkHostnames(at path: IssuePath) {
        let uts = namespaces.contains("uts")
        if let hostname = spec.hostname, !hostname.isEmpty {
            if !uts { error(path.dot("hostname"), "unable to set hostname without a private UTS namespace") }
            if hostname.utf8.count > 64 { error(path.dot("hostname"), "must be at most 64 bytes long") }
        }
        if let domainname = spec.domainname, !domainname.isEmpty {
            if !uts { error(path.dot("domainname"), "unable to set domainname without a private UTS namespace") }
            if domainname.utf8.count > 64 { error(path.dot("domainname"), "must be at most 64 bytes long") }
        }
    }

    mutating func checkAnnotations(at path: IssuePath) {
        guard let annotations = spec.annotations else { return }
        if annotations.keys.contains("") { error(path.key(""), "annotation keys must not be empty") }
    }

    mutating func checkHooks(at path: IssuePath) {
        guard let hooks = spec.hooks else { return }
        let lists: [(String, [Hook]?)] = [
            ("prestart", hooks.prestart), ("createRuntime", hooks.createRuntime),
            ("createContainer", hooks.createContainer), ("startContainer", hooks.startContainer),
            ("poststart", hooks.poststart), ("poststop", hooks.poststop),
        ]
        for (name, list) in lists {
            for (i, hook) in (list ?? []).enumerated() {
                let at = path.dot(name).at(i)
                if hook.path.isEmpty {
                    error(at.dot("path"), "must not be empty")
                } else if !hook.path.hasPrefix("/") {
                    error(at.dot("path"), "must be an absolute path, got \(jsonQuoted(hook.path))")
                }
                if let timeout = hook.timeout, timeout <= 0 {
                    error(at.dot("timeout"), "must be greater than zero, got \(timeout)")
                }
                checkEnvironment(hook.env, at: at.dot("env"))
            }
        }
    }

    /// `environ` semantics: every entry `NAME=value` with a non-empty name and no NUL byte.
    mutating func checkEnvironment(_ env: [String]?, at path: IssuePath) {
        for (i, entry) in (env ?? []).enumerated() {
            guard let eq = entry.utf8.firstIndex(of: UInt8(ascii: "=")) else {
                error(path.at(i), "must be in KEY=VALUE form, got \(jsonQuoted(entry))")
                continue
            }
            if eq == entry.utf8.startIndex {
                error(path.at(i), "variable name must not be empty in \(jsonQuoted(entry))")
            } else if entry.utf8.contains(0) {
                error(path.at(i), "must not contain a NUL byte")
            }
        }
    }
}

/// The namespaces a config asks for: joined (with a path) or new (without).
struct NamespaceSet {
    private var paths: [String: String] = [:]

    init(_ list: [LinuxNamespace]) {
        for ns in list where paths[ns.type] == nil { paths[ns.type] = ns.path ?? "" }
    }

    /// The container gets a namespace of this type other than the runtime's (new or joined).
    func contains(_ type: String) -> Bool { paths[type] != nil }
    /// The path of a joined namespace; nil when the type is absent or new.
    func joinedPath(_ type: String) -> String? {
        guard let p = paths[type], !p.isEmpty else { return nil }
        return p
    }
    func isNew(_ type: String) -> Bool { paths[type] == "" }
}
