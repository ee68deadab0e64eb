// The commands that work on a live container's cgroups: pause, resume, update, ps, events.
// runc 1.5 (urfave/cli v3) takes their flags after the container id too (`update ID
// --memory 1g`), except ps, whose arguments after the id belong to the host's ps.
#if canImport(Glibc)
import Glibc
#endif
import Linux
import OCISpec
import Runtime

extension Commands {
    /// Flags given after the first positional argument, parsed into `args` as runc does.
    static func interleaved(_ args: ParsedArguments, _ flags: [FlagSpec]) throws -> ParsedArguments {
        var merged = try ArgumentParser.parse(args.positional[...], flags: flags, stopAtPositional: false)
        for (key, values) in args.values where merged.values[key] == nil { merged.values[key] = values }
        return merged
    }

    static func exactlyOneID(_ args: ParsedArguments, _ command: String) throws -> String {
        guard args.positional.count == 1, let id = args.positional.first, !id.isEmpty else {
            throw UsageError("\"\(command)\" requires exactly 1 argument(s)")
        }
        return id
    }

    static let pause = Command(flags: [], usage: "swiftlet pause <container-id>") { args, global in
        let id = try exactlyOneID(try interleaved(args, []), "pause")
        let store = StateStore(root: global.root)
        let lock = try store.lock(id: id)
        try Container.load(id: id, store: store).pause()
        _ = lock
        return 0
    }

    static let resume = Command(flags: [], usage: "swiftlet resume <container-id>") { args, global in
        let id = try exactlyOneID(try interleaved(args, []), "resume")
        let store = StateStore(root: global.root)
        let lock = try store.lock(id: id)
        try Container.load(id: id, store: store).resume()
        _ = lock
        return 0
    }

    /// runc's update flags; every one takes a value. runc 1.5 spells the shares flag
    /// `--cpu-share`; `--cpu-shares` is accepted too.
    static let updateValueFlags: [[String]] = [
        ["resources", "r"], ["blkio-weight"], ["cpu-period"], ["cpu-quota"], ["cpu-burst"],
        ["cpu-share", "cpu-shares"], ["cpu-rt-period"], ["cpu-rt-runtime"], ["cpuset-cpus"], ["cpuset-mems"],
        ["kernel-memory"], ["kernel-memory-tcp"], ["memory"], ["cpu-idle"], ["memory-reservation"],
        ["memory-swap"], ["pids-limit"], ["l3-cache-schema"], ["mem-bw-schema"],
    ]
    static let updateFlags: [FlagSpec] = updateValueFlags.map { names in
        switch names.count {
        case 2: return FlagSpec(names[0], names[1], value: true)
        default: return FlagSpec(names[0], value: true)
        }
    }

    static let update = Command(
        flags: updateFlags,
        usage: "swiftlet update [--resources FILE|-] [--memory N] [--memory-swap N] [--cpu-quota N] ... <container-id>"
    ) { args, global in
        let parsed = try interleaved(args, updateFlags)
        let id = try exactlyOneID(parsed, "update")
        let store = StateStore(root: global.root)
        // runc opens the container (and fails on a missing one) before reading the request.
        _ = try store.load(id: id)
        let request: UpdateRequest
        if let source = parsed.value("resources"), !source.isEmpty {
            let bytes = source == "-" ? try FileSystem.readAll(fd: 0, path: "stdin") : try FileSystem.readFile(source)
            request = try UpdateRequest.fromJSON(bytes, source: source == "-" ? "stdin" : source)
        } else {
            var flags: [String: String] = [:]
            for names in updateValueFlags where names[0] != "resources" {
                if let value = parsed.value(names[0]) { flags[names[0]] = value }
            }
            request = try UpdateRequest.fromFlags(flags)
        }
        let lock = try store.lock(id: id)
        var container = try Container.load(id: id, store: store)
        for warning in try container.update(request) { Logger.shared.warning(warning) }
        _ = lock
        return 0
    }

    static let ps = Command(flags: [FlagSpec("format", "f", value: true)],
                            usage: "swiftlet ps [--format table|json] <container-id> [ps options]") { args, global in
        let id = try requireID(args, "ps")
        let container = try Container.load(id: id, store: StateStore(root: global.root))
        let pids = try container.processes()
        switch args.value("format") ?? "table" {
        case "table": break
        case "json":
            print(ProcessTable.json(pids))
            return 0
        default:
            throw UsageError("invalid format option")
        }
        let output = try ProcessTable.runPs(Array(args.positional.dropFirst()))
        print(try ProcessTable.filter(output, pids: pids), terminator: "")
        return 0
    }

    static let eventsFlags = [FlagSpec("interval", value: true), FlagSpec("stats")]

    static let events = Command(flags: eventsFlags, usage: "swiftlet events [--stats] [--interval 5s] <container-id>") { args, global in
        let parsed = try interleaved(args, eventsFlags)
        let id = try exactlyOneID(parsed, "events")
        var options = EventsOptions(statsOnly: parsed.has("stats"))
        if let text = parsed.value("interval") {
            do { options.interval = try CommandLineValues.duration(text) } catch {
                throw UsageError("invalid value \"\(text)\" for flag -interval: \(error)")
            }
        }
        let container = try Container.load(id: id, store: StateStore(root: global.root))
        try container.events(options)
        return 0
    }
}
