// The device cgroup rules a container really gets: the config's own rules, then allow rules
// for the devices every container has (null, zero, full, random, urandom, tty, ptmx, pts and
// mknod of anything) and for each `linux.devices` entry, the way runc extends them. Without
// this, runc's default `deny all` rule would leave the container without /dev/null.
import OCISpec

enum DeviceCgroupDefaults {
    struct Default {
        let path: String?
        let rule: LinuxDeviceCgroup
    }

    static let defaults: [Default] = [
        Default(path: nil, rule: LinuxDeviceCgroup(allow: true, type: "c", major: nil, minor: nil, access: "m")),
        Default(path: nil, rule: LinuxDeviceCgroup(allow: true, type: "b", major: nil, minor: nil, access: "m")),
        Default(path: "/dev/null", rule: LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 3, access: "rwm")),
        Default(path: "/dev/random", rule: LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 8, access: "rwm")),
        Default(path: "/dev/full", rule: LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 7, access: "rwm")),
        Default(path: "/dev/tty", rule: LinuxDeviceCgroup(allow: true, type: "c", major: 5, minor: 0, access: "rwm")),
        Default(path: "/dev/zero", rule: LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 5, access: "rwm")),
        Default(path: "/dev/urandom", rule: LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 9, access: "rwm")),
        Default(path: nil, rule: LinuxDeviceCgroup(allow: true, type: "c", major: 136, minor: nil, access: "rwm")),
        Default(path: nil, rule: LinuxDeviceCgroup(allow: true, type: "c", major: 5, minor: 2, access: "rwm")),
    ]

    /// The rules to write, in order; a `linux.devices` entry at a default's path replaces it.
    static func rules(for linux: Linux?) -> [LinuxDeviceCgroup] {
        var rules = linux?.resources?.devices ?? []
        let specDevices = linux?.devices ?? []
        for d in defaults where !specDevices.contains(where: { $0.path == d.path }) {
            rules.append(d.rule)
        }
        for device in specDevices {
            let type = device.type == "u" ? "c" : device.type
            guard type == "c" || type == "b" else { continue }
            rules.append(LinuxDeviceCgroup(allow: true, type: type, major: device.major, minor: device.minor, access: "rwm"))
        }
        return rules
    }

    /// linux.resources with the device rules completed; nil when the config restricts nothing.
    static func resources(for linux: Linux?) -> LinuxResources? {
        guard var resources = linux?.resources else { return nil }
        if !(resources.devices?.isEmpty ?? true) { resources.devices = rules(for: linux) }
        return resources
    }
}
