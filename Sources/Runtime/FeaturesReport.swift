// `features`: what this build really supports (features.md), nothing it merely parses.
import OCISpec
import Security

public enum FeaturesReport {
    public static func make() -> Features {
        var f = Features()
        f.ociVersionMin = "1.0.0"
        f.ociVersionMax = SpecVersion.current
        f.hooks = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]
        f.mountOptions = KnownNames.mountOptions
        var linux = LinuxFeatures()
        linux.namespaces = KnownNames.namespaceTypes
        linux.capabilities = SecurityFeatures.capabilities
        var cgroup = CgroupFeatures()
        cgroup.v1 = true
        cgroup.v2 = true
        cgroup.systemd = false
        cgroup.systemdUser = false
        cgroup.rdma = true
        linux.cgroup = cgroup
        linux.seccomp = SecurityFeatures.seccomp
        linux.apparmor = EnabledFeature(enabled: AppArmor.isEnabled())
        linux.selinux = EnabledFeature(enabled: SELinux.isEnabled())
        var rdt = IntelRdtFeatures()
        rdt.enabled = false
        linux.intelRdt = rdt
        var mounts = MountExtensionsFeatures()
        mounts.idmap = EnabledFeature(enabled: true)
        linux.mountExtensions = mounts
        // The names init maps onto set_mempolicy(2) values (the kernel may still lack some).
        var memoryPolicy = MemoryPolicyFeatures()
        memoryPolicy.modes = KnownNames.memoryPolicyModes.filter { MemoryPolicyPlan.modes[$0] != nil }
        memoryPolicy.flags = KnownNames.memoryPolicyFlags.filter { MemoryPolicyPlan.flags[$0] != nil }
        linux.memoryPolicy = memoryPolicy
        linux.netDevices = EnabledFeature(enabled: true)
        f.linux = linux
        f.annotations = ["io.github.seccomp.libseccomp.version": SpecVersionInfo.libseccomp]
        return f
    }
}
