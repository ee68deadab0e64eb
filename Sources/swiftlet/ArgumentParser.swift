// runc's command-line grammar: global flags, a command, its flags, then positional arguments.
// A flag may be spelled `-flag`, `--flag`, `--flag value` or `--flag=value`; flags stop at the
// first positional argument (so `exec ID sh -c ...` keeps the command's own flags) or `--`.

struct FlagSpec {
    let names: [String]
    let takesValue: Bool
    /// May be given several times (`--env`, `--cap`); values accumulate.
    let repeatable: Bool

    init(_ names: String..., value: Bool = false, repeatable: Bool = false) {
        self.names = names
        self.takesValue = value
        self.repeatable = repeatable
    }
}

struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct ParsedArguments {
    var values: [String: [String]] = [:]
    var positional: [String] = []

    func has(_ name: String) -> Bool {
        guard let v = values[name]?.last else { return false }
        return v != "false"
    }
    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }
}

enum ArgumentParser {
    /// Parses flags from `args` until the first positional argument; the rest is positional.
    /// The canonical key of a flag is its first name.
    static func parse(_ args: ArraySlice<String>, flags: [FlagSpec], stopAtPositional: Bool = true) throws -> ParsedArguments {
        var result = ParsedArguments()
        var index = args.startIndex
        while index < args.endIndex {
            let arg = args[index]
            if arg == "--" {
                result.positional += args[(index + 1)...]
                return result
            }
            guard arg.hasPrefix("-"), arg.count > 1 else {
                if stopAtPositional {
                    result.positional += args[index...]
                    return result
                }
                result.positional.append(arg)
                index += 1
                continue
            }
            var name = String(arg.drop(while: { $0 == "-" }))
            var inlineValue: String?
            if let eq = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard let spec = flags.first(where: { $0.names.contains(name) }) else {
                throw UsageError("flag provided but not defined: -\(name)")
            }
            let key = spec.names[0]
            if spec.takesValue {
                let value: String
                if let inlineValue { value = inlineValue } else {
                    index += 1
                    guard index < args.endIndex else { throw UsageError("flag needs an argument: -\(name)") }
                    value = args[index]
                }
                if spec.repeatable { result.values[key, default: []].append(value) } else { result.values[key] = [value] }
            } else {
                result.values[key] = [inlineValue ?? "true"]
            }
            index += 1
        }
        return result
    }
}
