// `linux.cgroupsPath` and `linux.resources`: the sanity that needs no kernel. Whether a
// controller exists or a value fits this machine is the cgroup manager's business.

extension SpecValidator {
    mutating func checkCgroupsPath(_ value: String?, at path: IssuePath) {
        guard let value, !value.isEmpty else { return }
        if value.utf8.contains(0) { return error(path, "must not contain a NUL byte") }
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        if options.systemdCgroup {
            guard parts.count == 3 else {
                return error(path, "expected cgroupsPath to be of format \"slice:prefix:name\" for systemd cgroups, got \(jsonQuoted(value)) instead")
            }
            let slice = parts[0]
            if !slice.isEmpty && (!slice.hasSuffix(".slice") || slice.contains("/")) {
                error(path, "invalid systemd slice \(jsonQuoted(String(slice))): it must end in \".slice\" and contain no \"/\"")
            }
            if parts[2].isEmpty { error(path, "the name part of \"slice:prefix:name\" must not be empty") }
        } else if parts.count == 3 && (parts[0].isEmpty || parts[0].hasSuffix(".slice")) {
            // Taken as a plain path it would make a directory named "system.slice:docker:x":
            // almost surely a config written for the systemd driver.
            error(path, "\(jsonQuoted(value)) is a systemd \"slice:prefix:name\" path, which needs --systemd-cgroup")
        }
    }

    mutating func checkResources(_ r: LinuxResources, at path: IssuePath) {
        for (i, rule) in (r.devices ?? []).enumerated() { checkDeviceRule(rule, at: path.dot("devices").at(i)) }
        if let memory = r.memory { checkMemory(memory, at: path.dot("memory")) }
        if let cpu = r.cpu { checkCPU(cpu, at: path.dot("cpu")) }
        if let limit = r.pids?.limit, limit < -1 {
            error(path.dot("pids").dot("limit"), "must be -1 (unlimited) or non-negative, got \(limit)")
        }
        if let blockIO = r.blockIO { checkBlockIO(blockIO, at: path.dot("blockIO")) }
        for (i, h) in (r.hugepageLimits ?? []).enumerated() where !isHugepageSize(h.pageSize) {
            error(path.dot("hugepageLimits").at(i).dot("pageSize"), "invalid page size \(jsonQuoted(h.pageSize)) (want e.g. \"2MB\" or \"1GB\")")
        }
        for (i, p) in (r.network?.priorities ?? []).enumerated() where !isValidInterfaceName(p.name) {
            error(path.dot("network").dot("priorities").at(i).dot("name"), "invalid network interface name \(jsonQuoted(p.name))")
        }
        for (name, limit) in (r.rdma ?? [:]).sorted(by: { $0.key < $1.key }) where limit.hcaHandles == nil && limit.hcaObjects == nil {
            error(path.dot("rdma").key(name), "at least one of hcaHandles or hcaObjects is required")
        }
        for key in (r.unified ?? [:]).keys.sorted() {
            if key.isEmpty || key.contains("/") || key == "." || key == ".." {
                error(path.dot("unified").key(key), "must name a file in the container's cgroup directory")
            }
        }
    }

    private mutating func checkDeviceRule(_ rule: LinuxDeviceCgroup, at path: IssuePath) {
        if let type = rule.type, !["a", "c", "b"].contains(type) {
            error(path.dot("type"), "unknown device type \(jsonQuoted(type)) (want a, c or b)")
        }
        // The spec leaves access optional, but runc refuses a rule without one; an empty
        // access means no permission at all, which nobody writes on purpose.
        let access = rule.access ?? ""
        if access.isEmpty {
            error(path.dot("access"), "must not be empty")
        } else if !access.allSatisfy({ $0 == "r" || $0 == "w" || $0 == "m" }) {
            error(path.dot("access"), "invalid access \(jsonQuoted(access)) (want a combination of r, w and m)")
        }
        if let major = rule.major, major < -1 { error(path.dot("major"), "must be -1 (any) or non-negative, got \(major)") }
        if let minor = rule.minor, minor < -1 { error(path.dot("minor"), "must be -1 (any) or non-negative, got \(minor)") }
    }

    private mutating func checkMemory(_ m: LinuxMemory, at path: IssuePath) {
        let fields: [(String, Int64?)] = [("limit", m.limit), ("reservation", m.reservation), ("swap", m.swap)]
        for (name, value) in fields {
            if let v = value, v < -1 { error(path.dot(name), "must be -1 (unlimited) or non-negative, got \(v)") }
        }
        // memory+swap is a ceiling over memory itself: it cannot be below the memory limit
        // (0 means "not set" to every runtime).
        if let swap = m.swap, swap > 0, let limit = m.limit, limit != 0 {
            if limit == -1 {
                error(path.dot("swap"), "must be -1 when memory.limit is -1 (unlimited), got \(swap)")
            } else if swap < limit {
                error(path.dot("swap"), "memory+swap limit \(swap) is smaller than memory.limit \(limit); use -1 for unlimited swap")
            }
        }
        if let s = m.swappiness, s > 100 { error(path.dot("swappiness"), "must be in [0, 100], got \(s)") }
        if m.kernel != nil { warn(path.dot("kernel"), "kernel memory limits are ignored") }
        if m.kernelTCP != nil { warn(path.dot("kernelTCP"), "kernel TCP memory limits are ignored") }
    }

    private mutating func checkCPU(_ c: LinuxCPU, at path: IssuePath) {
        if let idle = c.idle, idle != 0 && idle != 1 { error(path.dot("idle"), "must be 0 or 1, got \(idle)") }
        if let quota = c.quota, quota < -1 { error(path.dot("quota"), "must be -1 (unlimited) or positive, got \(quota)") }
        if let burst = c.burst, burst > 0, let quota = c.quota, quota > 0, burst > UInt64(quota) {
            error(path.dot("burst"), "must not exceed quota (\(quota)), got \(burst)")
        }
        if let rt = c.realtimeRuntime, rt < -1 { error(path.dot("realtimeRuntime"), "must be -1 or non-negative, got \(rt)") }
        checkCPUList(c.cpus, at: path.dot("cpus"))
        checkCPUList(c.mems, at: path.dot("mems"))
    }

    private mutating func checkBlockIO(_ b: LinuxBlockIO, at path: IssuePath) {
        checkWeight(b.weight, at: path.dot("weight"))
        checkWeight(b.leafWeight, at: path.dot("leafWeight"))
        for (i, d) in (b.weightDevice ?? []).enumerated() {
            let at = path.dot("weightDevice").at(i)
            if d.weight == nil && d.leafWeight == nil { error(at, "at least one of weight or leafWeight is required") }
            checkWeight(d.weight, at: at.dot("weight"))
            checkWeight(d.leafWeight, at: at.dot("leafWeight"))
            checkDeviceNumbers(d.major, d.minor, at: at)
        }
        let throttles: [(String, [LinuxThrottleDevice]?)] = [
            ("throttleReadBpsDevice", b.throttleReadBpsDevice), ("throttleWriteBpsDevice", b.throttleWriteBpsDevice),
            ("throttleReadIOPSDevice", b.throttleReadIOPSDevice), ("throttleWriteIOPSDevice", b.throttleWriteIOPSDevice),
        ]
        for (name, list) in throttles {
            for (i, d) in (list ?? []).enumerated() { checkDeviceNumbers(d.major, d.minor, at: path.dot(name).at(i)) }
        }
    }

    /// blkio weights run 10..1000; 0 is how engines (docker) say "not set".
    private mutating func checkWeight(_ weight: UInt16?, at path: IssuePath) {
        if let w = weight, w != 0 && (w < 10 || w > 1000) { error(path, "must be in [10, 1000], got \(w)") }
    }

    private mutating func checkDeviceNumbers(_ major: Int64, _ minor: Int64, at path: IssuePath) {
        if major < 0 { error(path.dot("major"), "must not be negative, got \(major)") }
        if minor < 0 { error(path.dot("minor"), "must not be negative, got \(minor)") }
    }
}

/// Hugepage sizes as the hugetlb controller names its files: `64KB`, `2MB`, `1GB`.
private func isHugepageSize(_ s: String) -> Bool {
    let units = ["KB", "MB", "GB", "TB", "PB"]
    guard let unit = units.first(where: { s.hasSuffix($0) }) else { return false }
    let digits = s.dropLast(unit.count)
    return !digits.isEmpty && digits.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
}
