// Mounts a user namespace may not make as config.json says, adapted the way runc adapts them:
// only inside a user namespace, and only where the kernel refuses the original.
#if canImport(Glibc)
import Glibc
#endif
import Linux

extension SpecMounter {
    /// A fresh sysfs needs a network namespace owned by our user namespace; without one the
    /// kernel says EPERM, and the host's /sys is bound (recursively) instead.
    func mountSysfsOrBindHost(_ m: PlannedMount) throws {
        let target = try openPseudoFilesystemTarget(m)
        defer { sys.close(target.fd) }
        do {
            try mountFilesystemAndClose(m, on: target)
            return
        } catch let error as SyscallError where userNamespace && error.errno == EPERM {
        }
        var options = m.options
        options.flags |= MountFlag.bind | MountFlag.recursive
        try bind(PlannedMount(derivedFrom: m, type: "bind", source: "/sys", destination: m.destination, options: options))
    }

    /// devpts's gid= must name a group mapped in our user namespace (EINVAL otherwise): an
    /// unmapped one is dropped, and new ptys belong to our own group.
    func devptsForUserNamespace(_ m: PlannedMount) -> PlannedMount {
        guard userNamespace, let text = try? sys.readFile("/proc/self/gid_map") else { return m }
        let ranges = IDRanges(mapFile: text)
        var options = m.options
        options.data = options.data.filter { option in
            guard option.hasPrefix("gid="), let gid = UInt32(option.dropFirst(4)) else { return true }
            return ranges.containsInside(gid)
        }
        if options.data == m.options.data { return m }
        return PlannedMount(derivedFrom: m, type: m.type, source: m.source, destination: m.destination, options: options)
    }
}
