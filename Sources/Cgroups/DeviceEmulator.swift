// A model of the v1 device cgroup's state, so a rule list can be applied as the minimal
// sequence of devices.allow/devices.deny writes (an update must not briefly deny /dev/null
// to a running container), and the result can be checked against devices.list.
//
// The kernel keeps a default (allow or deny) plus exceptions; devices.list shows "a *:* rwm"
// when the default is allow (and then hides the deny exceptions), else the allow exceptions.

struct DeviceEmulator: Equatable {
    struct Match: Hashable, Comparable {
        var kind: DeviceRule.Kind
        var major: Int64?
        var minor: Int64?

        static func < (a: Match, b: Match) -> Bool {
            let (am, bm) = (a.major ?? -1, b.major ?? -1)
            if am != bm { return am < bm }
            let (an, bn) = (a.minor ?? -1, b.minor ?? -1)
            if an != bn { return an < bn }
            return a.kind.rawValue < b.kind.rawValue
        }
    }

    /// true: everything not excepted is allowed (black-list); false: white-list.
    var defaultAllow = false
    var exceptions: [Match: DeviceAccess] = [:]

    var isAllowAll: Bool { defaultAllow && exceptions.isEmpty }

    /// The state a fresh container cgroup should get from `rules`: deny all, then each rule.
    init(rules: [DeviceRule]) throws {
        for rule in rules { try apply(rule) }
    }

    init(defaultAllow: Bool, exceptions: [Match: DeviceAccess] = [:]) {
        self.defaultAllow = defaultAllow
        self.exceptions = exceptions
    }

    /// The state devices.list describes.
    init(devicesList: String) throws {
        for line in devicesList.split(separator: "\n") where !line.trimmed.isEmpty {
            let rule = try Self.parseListLine(String(line))
            try apply(rule)
        }
    }

    mutating func apply(_ rule: DeviceRule) throws {
        if rule.kind == .all {
            // "a" resets the cgroup: allow all or deny all, no exceptions.
            self = DeviceEmulator(defaultAllow: rule.allow)
            return
        }
        let match = Match(kind: rule.kind, major: rule.major, minor: rule.minor)
        if rule.allow == defaultAllow {
            try removeException(match, rule.access, allow: rule.allow)
        } else {
            exceptions[match, default: []].formUnion(rule.access)
        }
    }

    /// Removing part of an exception that a wildcard exception also covers is silently
    /// ignored by the kernel; refuse it rather than pretend the rule took effect.
    private mutating func removeException(_ match: Match, _ access: DeviceAccess, allow: Bool) throws {
        let covering = [
            Match(kind: match.kind, major: nil, minor: match.minor),
            Match(kind: match.kind, major: match.major, minor: nil),
            Match(kind: match.kind, major: nil, minor: nil),
        ]
        for wider in covering where wider != match {
            if let present = exceptions[wider], !present.intersection(access).isEmpty {
                let verb = allow ? "allow" : "deny"
                throw CgroupError(field: "linux.resources.devices",
                                  "rule \"\(verb) \(DeviceRule(kind: match.kind, major: match.major, minor: match.minor, access: access, allow: allow).v1Text)\" cannot be expressed in the v1 device cgroup: it would punch a hole in the wildcard exception \"\(DeviceRule(kind: wider.kind, major: wider.major, minor: wider.minor, access: present, allow: !allow).v1Text)\"")
            }
        }
        let remaining = (exceptions[match] ?? []).subtracting(access)
        exceptions[match] = remaining.isEmpty ? nil : remaining
    }

    /// The writes that take a cgroup in state `self` to `target`. A black-list source must be
    /// reset: its deny exceptions are invisible in devices.list.
    func transition(to target: DeviceEmulator) -> [DeviceRule] {
        var writes: [DeviceRule] = []
        var old = exceptions
        if defaultAllow || defaultAllow != target.defaultAllow {
            writes.append(DeviceRule(kind: .all, major: nil, minor: nil, access: .all, allow: target.defaultAllow))
            old = [:]
        }
        for match in old.keys.sorted() {
            let dropped = old[match]!.subtracting(target.exceptions[match] ?? [])
            if !dropped.isEmpty {
                writes.append(DeviceRule(kind: match.kind, major: match.major, minor: match.minor,
                                         access: dropped, allow: target.defaultAllow))
            }
        }
        for match in target.exceptions.keys.sorted() {
            let gained = target.exceptions[match]!.subtracting(old[match] ?? [])
            if !gained.isEmpty {
                writes.append(DeviceRule(kind: match.kind, major: match.major, minor: match.minor,
                                         access: gained, allow: !target.defaultAllow))
            }
        }
        return writes
    }

    /// A devices.list line ("c 1:3 rwm", "a *:* rwm") as the allow rule it stands for.
    static func parseListLine(_ line: String) throws -> DeviceRule {
        let fields = line.split { $0 == " " || $0 == ":" }
        guard fields.count == 4 else { throw CgroupError("malformed devices.list line \"\(line)\"") }
        let kind: DeviceRule.Kind
        switch fields[0] {
        case "a": kind = .all
        case "b": kind = .block
        case "c": kind = .char
        default: throw CgroupError("unknown device type in devices.list line \"\(line)\"")
        }
        func number(_ text: Substring) throws -> Int64? {
            if text == "*" { return nil }
            guard let value = UInt32(text) else { throw CgroupError("invalid device number in devices.list line \"\(line)\"") }
            return Int64(value)
        }
        guard let access = DeviceAccess(String(fields[3])), !access.isEmpty else {
            throw CgroupError("invalid access in devices.list line \"\(line)\"")
        }
        return DeviceRule(kind: kind, major: try number(fields[1]), minor: try number(fields[2]), access: access, allow: true)
    }
}
