// `linux.namespaces` and what depends on them: id mappings, sysctls, time offsets and network
// devices. runc's rules, stated by the namespace they need.

extension SpecValidator {
    mutating func checkNamespaces(at path: IssuePath) {
        var seen: [String: Int] = [:]
        for (i, ns) in (spec.linux?.namespaces ?? []).enumerated() {
            let at = path.at(i)
            if !KnownNames.namespaceTypes.contains(ns.type) {
                error(at.dot("type"), "unknown namespace type \(jsonQuoted(ns.type))")
            } else if let first = seen[ns.type] {
                error(at.dot("type"), "duplicate namespace type \(jsonQuoted(ns.type)) (first at \(path.at(first)))")
            } else {
                seen[ns.type] = i
            }
            if let p = ns.path, !p.isEmpty, !p.hasPrefix("/") {
                error(at.dot("path"), "must be an absolute path, got \(jsonQuoted(p))")
            }
        }
        if options.rootless && !namespaces.contains("user") {
            error(path, "rootless containers require a user namespace")
        }
    }

    mutating func checkUserNamespace(_ linux: Linux, at path: IssuePath) {
        let uid = linux.uidMappings, gid = linux.gidMappings
        checkIDMappings(uid, at: path.dot("uidMappings"))
        checkIDMappings(gid, at: path.dot("gidMappings"))
        guard namespaces.contains("user") else {
            if uid != nil { error(path.dot("uidMappings"), "user namespace mappings specified, but linux.namespaces has no user namespace") }
            if gid != nil { error(path.dot("gidMappings"), "user namespace mappings specified, but linux.namespaces has no user namespace") }
            return
        }
        if namespaces.isNew("user") {
            // A new user namespace without a mapping leaves every id unmapped, and the
            // container's setuid/setgid would fail; runc refuses it too.
            if (uid ?? []).isEmpty { error(path.dot("uidMappings"), "a new user namespace needs uid mappings (or a namespace path to join)") }
            if (gid ?? []).isEmpty { error(path.dot("gidMappings"), "a new user namespace needs gid mappings (or a namespace path to join)") }
        } else if uid != nil || gid != nil {
            warn(path.dot(uid != nil ? "uidMappings" : "gidMappings"),
                 "ignored: the joined user namespace has its own mappings")
        }
    }

    /// What the kernel rejects when the map is written: empty ranges, ranges past 2^32,
    /// overlaps on either side, more than 340 lines.
    mutating func checkIDMappings(_ mappings: [LinuxIDMapping]?, at path: IssuePath) {
        guard let mappings else { return }
        if mappings.count > 340 { error(path, "at most 340 mappings are allowed, got \(mappings.count)") }
        for (i, m) in mappings.enumerated() {
            let at = path.at(i)
            if m.size == 0 { error(at.dot("size"), "must be greater than 0"); continue }
            if UInt64(m.containerID) + UInt64(m.size) > 1 << 32 { error(at, "containerID + size overflows 32 bits") }
            if UInt64(m.hostID) + UInt64(m.size) > 1 << 32 { error(at, "hostID + size overflows 32 bits") }
            for j in 0..<i where mappings[j].size > 0 {
                let o = mappings[j]
                if overlaps(m.containerID, m.size, o.containerID, o.size) {
                    error(at, "container range overlaps \(path.at(j))")
                } else if overlaps(m.hostID, m.size, o.hostID, o.size) {
                    error(at, "host range overlaps \(path.at(j))")
                }
            }
        }
    }

    /// /proc/sys is only partly namespaced. runc's table: IPC sysctls need an IPC namespace,
    /// net.* a network namespace other than the runtime's, kernel.domainname a UTS
    /// namespace, user.* a user namespace; everything else would change the host.
    mutating func checkSysctl(_ sysctl: [String: String]?, at path: IssuePath) {
        guard let sysctl else { return }
        for key in sysctl.keys.sorted() {
            let at = path.key(key)
            let name = dottedSysctlName(key)
            if ipcSysctls.contains(name) || name.hasPrefix("fs.mqueue.") {
                if !namespaces.contains("ipc") { error(at, "sysctl \(jsonQuoted(name)) is not allowed in the host's IPC namespace") }
                continue
            }
            if name.hasPrefix("net.") {
                if !namespaces.contains("network") {
                    error(at, "sysctl \(jsonQuoted(name)) is not allowed in the host's network namespace")
                } else if let joined = namespaces.joinedPath("network"), sameFile(joined, "/proc/self/ns/net") == true {
                    error(at, "sysctl \(jsonQuoted(name)) is not allowed: \(joined) is the host's network namespace")
                }
                continue
            }
            if namespaces.contains("uts") {
                if name == "kernel.domainname" { continue }
                if name == "kernel.hostname" {
                    error(at, "sysctl \"kernel.hostname\" is not allowed as it conflicts with the OCI \"hostname\" field")
                    continue
                }
            }
            if name.hasPrefix("user.") {
                if !namespaces.contains("user") { error(at, "sysctl \(jsonQuoted(name)) is not allowed without a user namespace") }
                continue
            }
            error(at, "sysctl \(jsonQuoted(name)) is not in a separate kernel namespace")
        }
    }

    mutating func checkTimeOffsets(_ offsets: [String: LinuxTimeOffset]?, at path: IssuePath) {
        guard let offsets else { return }
        if !namespaces.contains("time") {
            error(path, "time namespace offsets specified, but linux.namespaces has no time namespace")
        } else if namespaces.joinedPath("time") != nil {
            error(path, "cannot set offsets for a time namespace that is joined by path")
        }
        for clock in offsets.keys.sorted() {
            let at = path.key(clock)
            if !KnownNames.timeNamespaceClocks.contains(clock) {
                error(at, "unknown clock \(jsonQuoted(clock)) (want \"monotonic\" or \"boottime\")")
            }
            if let ns = offsets[clock]?.nanosecs, ns >= 1_000_000_000 {
                error(at.dot("nanosecs"), "must be less than 1000000000, got \(ns)")
            }
        }
    }

    mutating func checkNetDevices(_ devices: [String: LinuxNetDevice]?, at path: IssuePath) {
        guard let devices, !devices.isEmpty else { return }
        if !namespaces.contains("network") {
            error(path, "unable to move network devices without a network namespace")
        }
        if options.rootless { error(path, "network devices are not supported for rootless containers") }
        for name in devices.keys.sorted() {
            let at = path.key(name)
            if !isValidInterfaceName(name) { error(at, "invalid network device name \(jsonQuoted(name))") }
            if let target = devices[name]?.name, !target.isEmpty, !isValidInterfaceName(target) {
                error(at.dot("name"), "invalid network device name \(jsonQuoted(target))")
            }
        }
    }
}

private let ipcSysctls: Set<String> = [
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
]

/// sysctl(8) accepts `/` as the separator too (`net/ipv4/conf/eth0.100/rp_filter`); in that
/// form a `.` belongs to a name, so the two are swapped to compare in dotted form.
func dottedSysctlName(_ key: String) -> String {
    guard let first = key.firstIndex(where: { $0 == "." || $0 == "/" }), key[first] == "/" else { return key }
    return String(key.map { c -> Character in c == "/" ? "." : (c == "." ? "/" : c) })
}

private func overlaps(_ a: UInt32, _ asize: UInt32, _ b: UInt32, _ bsize: UInt32) -> Bool {
    let aEnd = UInt64(a) + UInt64(asize), bEnd = UInt64(b) + UInt64(bsize)
    return UInt64(a) < bEnd && UInt64(b) < aEnd
}
