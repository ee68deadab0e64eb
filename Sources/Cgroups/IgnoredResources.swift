// linux.resources fields that are set but that the managers do not apply, as runc 1.5 does
// not: kernel memory (gone from recent kernels; runc warns "Kernel memory settings are
// ignored"), and on cgroup v2 the v1-only knobs. The CLI can print one warning per field.
import OCISpec

public enum IgnoredResources {
    public static func fields(_ resources: LinuxResources, unified: Bool) -> [String] {
        var ignored: [String] = []
        let memory = resources.memory
        if memory?.kernel != nil { ignored.append("linux.resources.memory.kernel") }
        if memory?.kernelTCP != nil { ignored.append("linux.resources.memory.kernelTCP") }
        if memory?.useHierarchy != nil { ignored.append("linux.resources.memory.useHierarchy") }
        guard unified else { return ignored }
        if let swappiness = memory?.swappiness, swappiness != UInt64.max { ignored.append("linux.resources.memory.swappiness") }
        if memory?.disableOOMKiller == true { ignored.append("linux.resources.memory.disableOOMKiller") }
        if (resources.cpu?.realtimeRuntime ?? 0) != 0 { ignored.append("linux.resources.cpu.realtimeRuntime") }
        if (resources.cpu?.realtimePeriod ?? 0) != 0 { ignored.append("linux.resources.cpu.realtimePeriod") }
        if (resources.blockIO?.leafWeight ?? 0) != 0 { ignored.append("linux.resources.blockIO.leafWeight") }
        for (index, device) in (resources.blockIO?.weightDevice ?? []).enumerated() where (device.leafWeight ?? 0) != 0 {
            ignored.append("linux.resources.blockIO.weightDevice[\(index)].leafWeight")
        }
        if (resources.network?.classID ?? 0) != 0 { ignored.append("linux.resources.network.classID") }
        if !(resources.network?.priorities ?? []).isEmpty { ignored.append("linux.resources.network.priorities") }
        return ignored
    }
}
