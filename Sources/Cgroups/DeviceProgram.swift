// Device access control on cgroup v2, which has no devices.* files: the kernel asks a
// BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup instead.

enum DeviceProgram {
    /// Enforces `rules` (after an implicit "deny all") on the cgroup at `cgroup`.
    static func install(_ rules: [DeviceRule], cgroup: String) throws {
        let target = try DeviceEmulator(rules: rules)
        // Rules that end in "allow everything" need no program at all.
        if target.isAllowAll { return }
        throw CgroupError("device rules on cgroup v2 need an eBPF device program, which is not implemented yet; \(cgroup) would be left unrestricted")
    }
}
