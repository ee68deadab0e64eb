// Device cgroup rules: linux.resources.devices parsed once into typed rules, and the default
// list runc adds to every container.
import OCISpec

public struct DeviceAccess: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let read = DeviceAccess(rawValue: 1)
    public static let write = DeviceAccess(rawValue: 2)
    public static let mknod = DeviceAccess(rawValue: 4)
    public static let all: DeviceAccess = [.read, .write, .mknod]

    /// Parses "rwm"-style text; nil for an unknown letter.
    public init?(_ text: String) {
        var value: DeviceAccess = []
        for letter in text {
            switch letter {
            case "r": value.insert(.read)
            case "w": value.insert(.write)
            case "m": value.insert(.mknod)
            default: return nil
            }
        }
        self = value
    }

    public var description: String {
        (contains(.read) ? "r" : "") + (contains(.write) ? "w" : "") + (contains(.mknod) ? "m" : "")
    }
}

public struct DeviceRule: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Character, Sendable {
        case all = "a", block = "b", char = "c"
    }
    public var kind: Kind
    /// nil is the wildcard "*".
    public var major: Int64?
    public var minor: Int64?
    public var access: DeviceAccess
    public var allow: Bool

    public init(kind: Kind, major: Int64?, minor: Int64?, access: DeviceAccess, allow: Bool) {
        self.kind = kind
        self.major = major
        self.minor = minor
        self.access = access
        self.allow = allow
    }

    /// One entry of linux.resources.devices; `index` only names it in errors.
    public init(_ spec: LinuxDeviceCgroup, index: Int) throws {
        let field = "linux.resources.devices[\(index)]"
        let typeText = spec.type ?? "a"
        switch typeText.isEmpty ? "a" : typeText {
        case "a": kind = .all
        case "b": kind = .block
        case "c": kind = .char
        default: throw CgroupError(field: field + ".type", "invalid cgroup device type \"\(typeText)\"")
        }
        major = spec.major.flatMap { $0 < 0 ? nil : $0 }
        minor = spec.minor.flatMap { $0 < 0 ? nil : $0 }
        guard let accessText = spec.access, !accessText.isEmpty else {
            throw CgroupError(field: field + ".access", "device access cannot be empty")
        }
        guard let parsed = DeviceAccess(accessText) else {
            throw CgroupError(field: field + ".access", "invalid device access \"\(accessText)\": want letters of \"rwm\"")
        }
        access = parsed
        allow = spec.allow
    }

    /// The text devices.allow / devices.deny take and devices.list shows: "c 1:3 rwm".
    public var v1Text: String {
        let majorText = major.map(String.init) ?? "*"
        let minorText = minor.map(String.init) ?? "*"
        return "\(kind.rawValue) \(majorText):\(minorText) \(access)"
    }

    public var description: String { (allow ? "allow " : "deny ") + v1Text }

    /// Every rule of linux.resources.devices, in order.
    public static func parse(_ specRules: [LinuxDeviceCgroup]?) throws -> [DeviceRule] {
        try (specRules ?? []).enumerated().map { try DeviceRule($0.element, index: $0.offset) }
    }
}

/// The allow rules runc appends after linux.resources.devices for every container: mknod of
/// any device, the standard /dev nodes, ptys and /dev/net/tun. A standard node whose path
/// also appears in linux.devices is left out, as runc does (the spec's entry takes its place,
/// and grants access only through linux.resources.devices).
public enum DefaultDeviceRules {
    struct Entry {
        let path: String?
        let rule: LinuxDeviceCgroup
    }

    static let entries: [Entry] = [
        Entry(path: nil, rule: rule("c", nil, nil, "m")),
        Entry(path: nil, rule: rule("b", nil, nil, "m")),
        Entry(path: "/dev/null", rule: rule("c", 1, 3, "rwm")),
        Entry(path: "/dev/random", rule: rule("c", 1, 8, "rwm")),
        Entry(path: "/dev/full", rule: rule("c", 1, 7, "rwm")),
        Entry(path: "/dev/tty", rule: rule("c", 5, 0, "rwm")),
        Entry(path: "/dev/zero", rule: rule("c", 1, 5, "rwm")),
        Entry(path: "/dev/urandom", rule: rule("c", 1, 9, "rwm")),
        Entry(path: nil, rule: rule("c", 136, nil, "rwm")),  // /dev/pts/*
        Entry(path: nil, rule: rule("c", 5, 2, "rwm")),  // /dev/ptmx
        Entry(path: nil, rule: rule("c", 10, 200, "rwm")),  // /dev/net/tun
    ]

    private static func rule(_ type: String, _ major: Int64?, _ minor: Int64?, _ access: String) -> LinuxDeviceCgroup {
        LinuxDeviceCgroup(allow: true, type: type, major: major, minor: minor, access: access)
    }

    /// The default allow rules, minus the nodes `linuxDevices` redefines.
    public static func rules(excluding linuxDevices: [LinuxDevice]?) -> [LinuxDeviceCgroup] {
        // Arrays and closures: a Set and key paths had their types made at run time on create.
        let redefined = (linuxDevices ?? []).map { $0.path }
        return entries.filter { $0.path.map { !redefined.contains($0) } ?? true }.map { $0.rule }
    }

    /// linux.resources.devices followed by the defaults: the full rule list runc programs into
    /// a container's device cgroup (implicitly preceded by "deny all").
    public static func containerRules(resources: LinuxResources?, linuxDevices: [LinuxDevice]?) -> [LinuxDeviceCgroup] {
        (resources?.devices ?? []) + rules(excluding: linuxDevices)
    }
}
