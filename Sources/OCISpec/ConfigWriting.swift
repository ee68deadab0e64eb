// config.json's models written by hand as JSON trees (see JSONModelWriter.swift for why not
// Codable), for state.json, init's bootstrap and exec's spec. Tests hold the output to
// SpecEncoder's.

extension Spec: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("ociVersion", ociVersion)
        o.add("process", process)
        o.add("root", root)
        o.add("hostname", hostname)
        o.add("domainname", domainname)
        o.add("mounts", mounts)
        o.add("hooks", hooks)
        o.add("annotations", annotations)
        o.add("linux", linux)
        return o.value
    }
}

extension Process: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("terminal", terminal)
        o.add("consoleSize", consoleSize)
        o.add("user", user)
        o.add("args", args)
        o.add("env", env)
        o.add("cwd", cwd)
        o.add("capabilities", capabilities)
        o.add("rlimits", rlimits)
        o.add("noNewPrivileges", noNewPrivileges)
        o.add("apparmorProfile", apparmorProfile)
        o.add("oomScoreAdj", oomScoreAdj)
        o.add("scheduler", scheduler)
        o.add("selinuxLabel", selinuxLabel)
        o.add("ioPriority", ioPriority)
        o.add("execCPUAffinity", execCPUAffinity)
        return o.value
    }
}

extension Box: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("height", height)
        o.add("width", width)
        return o.value
    }
}

extension User: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("uid", uid)
        o.add("gid", gid)
        o.add("umask", umask)
        o.add("additionalGids", additionalGids)
        return o.value
    }
}

extension LinuxCapabilities: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("bounding", bounding)
        o.add("effective", effective)
        o.add("inheritable", inheritable)
        o.add("permitted", permitted)
        o.add("ambient", ambient)
        return o.value
    }
}

extension POSIXRlimit: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("type", type)
        o.add("hard", hard)
        o.add("soft", soft)
        return o.value
    }
}

extension Scheduler: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("policy", policy)
        o.add("nice", nice)
        o.add("priority", priority)
        o.add("flags", flags)
        o.add("runtime", runtime)
        o.add("deadline", deadline)
        o.add("period", period)
        return o.value
    }
}

extension LinuxIOPriority: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("class", `class`)
        o.add("priority", priority)
        return o.value
    }
}

extension CPUAffinity: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("initial", initial)
        o.add("final", final)
        return o.value
    }
}

extension Root: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("path", path)
        o.add("readonly", readonly)
        return o.value
    }
}

extension Mount: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("destination", destination)
        o.add("type", type)
        o.add("source", source)
        o.add("options", options)
        o.add("uidMappings", uidMappings)
        o.add("gidMappings", gidMappings)
        return o.value
    }
}

extension Hook: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("path", path)
        o.add("args", args)
        o.add("env", env)
        o.add("timeout", timeout)
        return o.value
    }
}

extension Hooks: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("prestart", prestart)
        o.add("createRuntime", createRuntime)
        o.add("createContainer", createContainer)
        o.add("startContainer", startContainer)
        o.add("poststart", poststart)
        o.add("poststop", poststop)
        return o.value
    }
}

extension Linux: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("uidMappings", uidMappings)
        o.add("gidMappings", gidMappings)
        o.add("sysctl", sysctl)
        o.add("resources", resources)
        o.add("cgroupsPath", cgroupsPath)
        o.add("namespaces", namespaces)
        o.add("devices", devices)
        o.add("netDevices", netDevices)
        o.add("seccomp", seccomp)
        o.add("rootfsPropagation", rootfsPropagation)
        o.add("maskedPaths", maskedPaths)
        o.add("readonlyPaths", readonlyPaths)
        o.add("mountLabel", mountLabel)
        o.add("intelRdt", intelRdt)
        o.add("memoryPolicy", memoryPolicy)
        o.add("personality", personality)
        o.add("timeOffsets", timeOffsets)
        return o.value
    }
}

extension LinuxNamespace: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("type", type)
        o.add("path", path)
        return o.value
    }
}

extension LinuxIDMapping: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("containerID", containerID)
        o.add("hostID", hostID)
        o.add("size", size)
        return o.value
    }
}

extension LinuxTimeOffset: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("secs", secs)
        o.add("nanosecs", nanosecs)
        return o.value
    }
}

extension LinuxDevice: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("path", path)
        o.add("type", type)
        o.add("major", major)
        o.add("minor", minor)
        o.add("fileMode", fileMode)
        o.add("uid", uid)
        o.add("gid", gid)
        return o.value
    }
}

extension LinuxNetDevice: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("name", name)
        return o.value
    }
}

extension LinuxPersonality: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("domain", domain)
        o.add("flags", flags)
        return o.value
    }
}

extension LinuxIntelRdt: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("closID", closID)
        o.add("schemata", schemata)
        o.add("l3CacheSchema", l3CacheSchema)
        o.add("memBwSchema", memBwSchema)
        o.add("enableMonitoring", enableMonitoring)
        return o.value
    }
}

extension LinuxMemoryPolicy: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("mode", mode)
        o.add("nodes", nodes)
        o.add("flags", flags)
        return o.value
    }
}

extension LinuxResources: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("devices", devices)
        o.add("memory", memory)
        o.add("cpu", cpu)
        o.add("pids", pids)
        o.add("blockIO", blockIO)
        o.add("hugepageLimits", hugepageLimits)
        o.add("network", network)
        o.add("rdma", rdma)
        o.add("unified", unified)
        return o.value
    }
}

extension LinuxDeviceCgroup: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("allow", allow)
        o.add("type", type)
        o.add("major", major)
        o.add("minor", minor)
        o.add("access", access)
        return o.value
    }
}

extension LinuxMemory: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("limit", limit)
        o.add("reservation", reservation)
        o.add("swap", swap)
        o.add("kernel", kernel)
        o.add("kernelTCP", kernelTCP)
        o.add("swappiness", swappiness)
        o.add("disableOOMKiller", disableOOMKiller)
        o.add("useHierarchy", useHierarchy)
        o.add("checkBeforeUpdate", checkBeforeUpdate)
        return o.value
    }
}

extension LinuxCPU: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("shares", shares)
        o.add("quota", quota)
        o.add("burst", burst)
        o.add("period", period)
        o.add("realtimeRuntime", realtimeRuntime)
        o.add("realtimePeriod", realtimePeriod)
        o.add("cpus", cpus)
        o.add("mems", mems)
        o.add("idle", idle)
        return o.value
    }
}

extension LinuxPids: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("limit", limit)
        return o.value
    }
}

extension LinuxBlockIO: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("weight", weight)
        o.add("leafWeight", leafWeight)
        o.add("weightDevice", weightDevice)
        o.add("throttleReadBpsDevice", throttleReadBpsDevice)
        o.add("throttleWriteBpsDevice", throttleWriteBpsDevice)
        o.add("throttleReadIOPSDevice", throttleReadIOPSDevice)
        o.add("throttleWriteIOPSDevice", throttleWriteIOPSDevice)
        return o.value
    }
}

extension LinuxWeightDevice: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("major", major)
        o.add("minor", minor)
        o.add("weight", weight)
        o.add("leafWeight", leafWeight)
        return o.value
    }
}

extension LinuxThrottleDevice: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("major", major)
        o.add("minor", minor)
        o.add("rate", rate)
        return o.value
    }
}

extension LinuxHugepageLimit: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("pageSize", pageSize)
        o.add("limit", limit)
        return o.value
    }
}

extension LinuxNetwork: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("classID", classID)
        o.add("priorities", priorities)
        return o.value
    }
}

extension LinuxInterfacePriority: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("name", name)
        o.add("priority", priority)
        return o.value
    }
}

extension LinuxRdma: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("hcaHandles", hcaHandles)
        o.add("hcaObjects", hcaObjects)
        return o.value
    }
}

extension LinuxSeccomp: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("defaultAction", defaultAction)
        o.add("defaultErrnoRet", defaultErrnoRet)
        o.add("architectures", architectures)
        o.add("flags", flags)
        o.add("listenerPath", listenerPath)
        o.add("listenerMetadata", listenerMetadata)
        o.add("syscalls", syscalls)
        return o.value
    }
}

extension LinuxSyscall: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("names", names)
        o.add("action", action)
        o.add("errnoRet", errnoRet)
        o.add("args", args)
        return o.value
    }
}

extension LinuxSeccompArg: JSONWritable {
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("index", index)
        o.add("value", value)
        o.add("valueTwo", valueTwo)
        o.add("op", op)
        return o.value
    }
}
