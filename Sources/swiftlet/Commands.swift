// The commands, each a flag list and a body, in runc's words and exit codes.
#if canImport(Glibc)
import Glibc
#endif
import Linux
import OCISpec
import Runtime

enum Commands {
    /// The command called `name`. A switch, not a dictionary of all of them: a dictionary
    /// built every command's flag table (and hashed every name) in every process.
    static func named(_ name: String) -> Command? {
        switch name {
        case "create": create
        case "start": start
        case "state": state
        case "kill": kill
        case "delete": delete
        case "run": run
        case "list": list
        case "spec": spec
        case "features": features
        case "exec": exec
        case "pause": pause
        case "resume": resume
        case "update": update
        case "ps": ps
        case "events": events
        default: nil
        }
    }

    /// Commands that never touch the state directory, so need no default --root.
    static let withoutState = ["spec", "features"]

    static let createFlags: [FlagSpec] = [
        FlagSpec("bundle", "b", value: true), FlagSpec("pid-file", value: true),
        FlagSpec("console-socket", value: true), FlagSpec("no-pivot"), FlagSpec("no-new-keyring"),
        FlagSpec("preserve-fds", value: true), FlagSpec("pidfd-socket", value: true),
    ]

    static func requireID(_ args: ParsedArguments, _ command: String, count: Int = 1) throws -> String {
        guard let id = args.positional.first, !id.isEmpty else {
            throw UsageError("\"\(command)\" requires a minimum of \(count) argument\(count == 1 ? "" : "s")")
        }
        return id
    }

    static func createOptions(_ args: ParsedArguments, _ global: GlobalOptions, id: String) throws -> CreateOptions {
        var options = CreateOptions(id: id, bundle: args.value("bundle") ?? ".", root: global.root)
        options.pidFile = args.value("pid-file")
        options.consoleSocket = args.value("console-socket").map { FileSystem.absolute($0) }
        options.pidfdSocket = args.value("pidfd-socket").map { FileSystem.absolute($0) }
        options.noPivot = args.has("no-pivot")
        if let text = args.value("preserve-fds") {
            guard let n = Int(text), n >= 0 else { throw UsageError("invalid value \"\(text)\" for flag -preserve-fds") }
            options.preserveFDs = n
        }
        options.debug = global.debug
        options.logJSON = global.logJSON
        options.rootless = global.rootless
        return options
    }

    static let create = Command(flags: createFlags, usage: "swiftlet create [--bundle DIR] [--pid-file F] [--console-socket S] [--pidfd-socket S] [--no-pivot] [--preserve-fds N] <container-id>") { args, global in
        let id = try requireID(args, "create")
        _ = try ContainerCreator(options: try createOptions(args, global, id: id)).create()
        return 0
    }

    static let start = Command(flags: [], usage: "swiftlet start <container-id>") { args, global in
        let id = try requireID(args, "start")
        let store = StateStore(root: global.root)
        let lock = try store.lock(id: id)
        var container = try Container.load(id: id, store: store)
        try container.start()
        _ = lock
        return 0
    }

    static let state = Command(flags: [], usage: "swiftlet state <container-id>") { args, global in
        let id = try requireID(args, "state")
        let container = try Container.load(id: id, store: StateStore(root: global.root))
        print(try StateReport.json(for: container))
        return 0
    }

    static let kill = Command(flags: [FlagSpec("all", "a")], usage: "swiftlet kill [--all] <container-id> [signal]") { args, global in
        let id = try requireID(args, "kill")
        guard args.positional.count <= 2 else { throw UsageError("\"kill\" requires a maximum of 2 argument(s)") }
        let given = args.positional.count > 1 ? args.positional[1] : ""
        let signal = try Signals.parse(given.isEmpty ? "SIGTERM" : given)
        let container = try Container.load(id: id, store: StateStore(root: global.root))
        try container.kill(signal: signal, all: args.has("all"))
        return 0
    }

    static let delete = Command(flags: [FlagSpec("force", "f")], usage: "swiftlet delete [--force] <container-id>") { args, global in
        let id = try requireID(args, "delete")
        let store = StateStore(root: global.root)
        let force = args.has("force")
        let lock: ContainerLock
        do { lock = try store.lock(id: id) } catch let error as RuntimeError where error == .notExist {
            // Also when a concurrent delete removed it first: --force of a missing id exits 0.
            if force { return 0 }
            throw error
        }
        do {
            let container = try Container.load(id: id, store: store)
            try container.delete(force: force)
        } catch let error as RuntimeError where force {
            // A state file that create never finished, or one that is corrupt: --force still
            // clears the id.
            let note = try Container.forceRemove(id: id, store: store)
            Logger.shared.warning("\(error); removed \(store.directory(for: id)): \(note)")
        }
        _ = lock
        return 0
    }

    static let run = Command(flags: createFlags + [FlagSpec("detach", "d"), FlagSpec("keep")],
                             usage: "swiftlet run [--detach] [create options] <container-id>") { args, global in
        let id = try requireID(args, "run")
        var options = try createOptions(args, global, id: id)
        let detach = args.has("detach")
        options.keepConsoleMaster = !detach && options.consoleSocket == nil
        return try Runner(options: options, detach: detach, keep: args.has("keep")).run()
    }

    static let list = Command(flags: [FlagSpec("format", "f", value: true), FlagSpec("quiet", "q")],
                              usage: "swiftlet list [--format table|json] [-q]") { args, global in
        let store = StateStore(root: global.root)
        var containers: [Container] = []
        for id in store.listIDs() {
            do {
                containers.append(try Container.load(id: id, store: store))
            } catch {
                // As runc: one unreadable container is named on stderr, the others still listed.
                CLI.printToStderr("load container \(id): \(error)")
            }
        }
        if args.has("quiet") {
            for c in containers { print(c.id) }
            return 0
        }
        switch args.value("format") ?? "table" {
        case "table": print(StateReport.table(containers), terminator: "")
        case "json": print(try StateReport.jsonList(containers))
        case let other: throw UsageError("invalid format option: \(other)")
        }
        return 0
    }

    static let spec = Command(flags: [FlagSpec("bundle", "b", value: true), FlagSpec("rootless")],
                              usage: "swiftlet spec [--rootless] [--bundle DIR]") { args, global in
        let dir = args.value("bundle") ?? "."
        let path = dir + "/config.json"
        if FileSystem.exists(path) { throw RuntimeError("File \(path) exists. Remove it first") }
        let text = try encodeJSON(defaultSpec(rootless: args.has("rootless")), indent: "\t")
        try FileSystem.writeAtomically(path, Array(text.utf8), mode: 0o666 & ~currentUmask())
        return 0
    }

    static let features = Command(flags: [], usage: "swiftlet features") { _, _ in
        print(try encodeJSON(FeaturesReport.make(), indent: "    "))
        return 0
    }

    static func currentUmask() -> mode_t {
        let mask = umask(0)
        umask(mask)
        return mask
    }
}

extension Commands {
    static let exec = Command(
        flags: [
            FlagSpec("process", "p", value: true), FlagSpec("tty", "t"), FlagSpec("console-socket", value: true),
            FlagSpec("detach", "d"), FlagSpec("pid-file", value: true), FlagSpec("cwd", value: true),
            FlagSpec("env", "e", value: true, repeatable: true), FlagSpec("user", "u", value: true),
            FlagSpec("additional-gids", "g", value: true, repeatable: true),
            FlagSpec("cap", "c", value: true, repeatable: true), FlagSpec("no-new-privs"),
            FlagSpec("apparmor", value: true), FlagSpec("process-label", value: true),
            FlagSpec("preserve-fds", value: true), FlagSpec("ignore-paused"), FlagSpec("cgroup", value: true),
            FlagSpec("pidfd-socket", value: true),
        ],
        usage: "swiftlet exec [options] <container-id> <command> [args...] | --process FILE <container-id>"
    ) { args, global in
        let id = try requireID(args, "exec")
        var options = ExecOptions(id: id, root: global.root)
        options.processFile = args.value("process")
        options.args = Array(args.positional.dropFirst())
        options.tty = args.has("tty")
        options.consoleSocket = args.value("console-socket").map { FileSystem.absolute($0) }
        options.pidfdSocket = args.value("pidfd-socket").map { FileSystem.absolute($0) }
        options.detach = args.has("detach")
        options.pidFile = args.value("pid-file")
        options.cwd = args.value("cwd")
        options.env = args.all("env")
        options.user = args.value("user")
        options.additionalGids = args.all("additional-gids")
        options.capabilities = args.all("cap")
        options.noNewPrivileges = args.has("no-new-privs")
        options.apparmor = args.value("apparmor")
        options.processLabel = args.value("process-label")
        if let text = args.value("preserve-fds") {
            guard let n = Int(text), n >= 0 else { throw UsageError("invalid value \"\(text)\" for flag -preserve-fds") }
            options.preserveFDs = n
        }
        options.ignorePaused = args.has("ignore-paused")
        options.cgroupSubpath = args.value("cgroup")
        options.debug = global.debug
        options.logJSON = global.logJSON
        return try ContainerExec(options: options).run()
    }
}
