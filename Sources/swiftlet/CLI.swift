// Global flags, dispatch to commands, and how errors reach the user: the log (in runc's text
// or JSON format) and, when the log is not stderr, stderr too, as runc does.
#if canImport(Glibc)
import Glibc
#endif
import Linux
import Runtime

struct GlobalOptions {
    var root = "/run/swiftlet"
    var debug = false
    var logJSON = false
    var systemdCgroup = false
    /// `--rootless auto|true|false` as given.
    var rootlessSetting = RootlessSetting.auto
    /// The setting resolved: unprivileged over the host. Worked out when asked (auto reads
    /// /proc/self/uid_map), which only create, run and a default --root do.
    var rootless: Bool { Rootless.resolve(rootlessSetting) }
}

enum CLI {
    static let globalFlags: [FlagSpec] = [
        FlagSpec("debug"), FlagSpec("root", value: true), FlagSpec("log", value: true),
        FlagSpec("log-format", value: true), FlagSpec("systemd-cgroup"), FlagSpec("rootless", value: true),
        FlagSpec("criu", value: true), FlagSpec("version", "v"), FlagSpec("help", "h"),
    ]

    static func main(_ args: [String]) -> Int32 {
        var global = GlobalOptions()
        let parsed: ParsedArguments
        do {
            parsed = try ArgumentParser.parse(args[...], flags: globalFlags)
        } catch {
            return fail(error)
        }
        if parsed.has("version") { print(Version.text); return 0 }
        do { global.rootlessSetting = try RootlessSetting(flag: parsed.value("rootless")) } catch { return fail(error) }
        global.debug = parsed.has("debug")
        global.systemdCgroup = parsed.has("systemd-cgroup")
        let log = Logger.shared
        if global.debug { log.minimum = .debug }
        if let format = parsed.value("log-format") {
            guard let f = LogFormat(rawValue: format) else { return fail(UsageError("invalid log-format: \(format)")) }
            log.format = f
            global.logJSON = f == .json
        }
        if let path = parsed.value("log"), !path.isEmpty {
            do { try log.open(path: path) } catch { return fail(error) }
        }
        guard let name = parsed.positional.first else {
            print(Help.text)
            return parsed.has("help") ? 0 : 1
        }
        if parsed.has("help") || name == "help" { print(Help.text); return 0 }
        if global.systemdCgroup {
            return fail(UsageError("--systemd-cgroup is not supported: swiftlet manages cgroups through cgroupfs only"))
        }
        guard let command = Commands.named(name) else {
            return fail(UsageError("No help topic for '\(name)'"))
        }
        if let root = parsed.value("root") {
            global.root = root
        } else if !Commands.withoutState.contains(name) {
            do { global.root = try Rootless.defaultRoot(rootless: global.rootless) } catch { return fail(error) }
        }
        do {
            let rest = parsed.positional.dropFirst()
            let options = try ArgumentParser.parse(rest, flags: command.flags + [FlagSpec("help", "h")])
            if options.has("help") { print(command.usage); return 0 }
            return try command.run(options, global)
        } catch {
            return fail(error)
        }
    }

    static func fail(_ error: Error) -> Int32 {
        let log = Logger.shared
        let text = "\(error)"
        log.error(text)
        if !log.toStderr || log.format == .json { printToStderr(text) }
        return 1
    }

    /// A plain line on stderr, whatever `--log` says.
    static func printToStderr(_ text: String) {
        let line = text + "\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }
}

struct Command {
    let flags: [FlagSpec]
    let usage: String
    let run: (ParsedArguments, GlobalOptions) throws -> Int32
}

enum Help {
    static let text = """
    swiftlet: an OCI runtime-spec container runtime, compatible with runc's command line

    usage: swiftlet [global options] command [command options] [arguments...]

    commands:
       create    create a container
       start     execute the user defined process in a created container
       run       create and run a container
       state     output the state of a container
       kill      send a signal to the container's init process
       delete    delete any resources held by the container
       exec      execute a new process inside the container
       pause     suspend all processes inside the container
       resume    resume all processes that have been previously paused
       update    update container resource constraints
       ps        display the processes running inside a container
       events    display container events such as OOM notifications and resource usage statistics
       list      list containers started by swiftlet with the given root
       spec      create a new specification file
       features  show the enabled features

    global options:
       --debug                 log debug output, including each init stage's duration
       --root DIR              state directory (default: /run/swiftlet; rootless: $XDG_RUNTIME_DIR/swiftlet)
       --rootless auto|true|false  run without privileges over the host (default: auto, when not root
                               or inside a user namespace): cgroups and id maps fall back instead of failing
       --log FILE              log file (default: stderr)
       --log-format text|json  log format (default: text)
       --version, -v           print the version
    """
}
