// config.json's models read by hand from the parsed tree (see JSONModelReader.swift for why
// not Codable). Fields are read in declaration order, so the first error is the one the
// Codable decoder would report; tests hold the two to the same results.

extension Spec: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.ociVersion = try o.string("ociVersion")
        self.process = try o.optionalModel("process", Process.self)
        self.root = try o.optionalModel("root", Root.self)
        self.hostname = try o.optionalString("hostname")
        self.domainname = try o.optionalString("domainname")
        self.mounts = try o.optionalModels("mounts", Mount.self)
        self.hooks = try o.optionalModel("hooks", Hooks.self)
        self.annotations = try o.optionalStringMap("annotations")
        self.linux = try o.optionalModel("linux", Linux.self)
    }
}

extension Process: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.terminal = try o.optionalBool("terminal")
        self.consoleSize = try o.optionalModel("consoleSize", Box.self)
        self.user = try o.model("user", User.self)
        self.args = try o.optionalStrings("args")
        self.env = try o.optionalStrings("env")
        self.cwd = try o.string("cwd")
        self.capabilities = try o.optionalModel("capabilities", LinuxCapabilities.self)
        self.rlimits = try o.optionalModels("rlimits", POSIXRlimit.self)
        self.noNewPrivileges = try o.optionalBool("noNewPrivileges")
        self.apparmorProfile = try o.optionalString("apparmorProfile")
        self.oomScoreAdj = try o.optionalInteger("oomScoreAdj", Int.self)
        self.scheduler = try o.optionalModel("scheduler", Scheduler.self)
        self.selinuxLabel = try o.optionalString("selinuxLabel")
        self.ioPriority = try o.optionalModel("ioPriority", LinuxIOPriority.self)
        self.execCPUAffinity = try o.optionalModel("execCPUAffinity", CPUAffinity.self)
    }
}

extension Box: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.height = try o.integer("height", UInt.self)
        self.width = try o.integer("width", UInt.self)
    }
}

extension User: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.uid = try o.integer("uid", UInt32.self)
        self.gid = try o.integer("gid", UInt32.self)
        self.umask = try o.optionalInteger("umask", UInt32.self)
        self.additionalGids = try o.optionalIntegers("additionalGids", UInt32.self)
    }
}

extension LinuxCapabilities: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.bounding = try o.optionalStrings("bounding")
        self.effective = try o.optionalStrings("effective")
        self.inheritable = try o.optionalStrings("inheritable")
        self.permitted = try o.optionalStrings("permitted")
        self.ambient = try o.optionalStrings("ambient")
    }
}

extension POSIXRlimit: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.type = try o.string("type")
        self.hard = try o.integer("hard", UInt64.self)
        self.soft = try o.integer("soft", UInt64.self)
    }
}

extension Scheduler: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.policy = try o.string("policy")
        self.nice = try o.optionalInteger("nice", Int32.self)
        self.priority = try o.optionalInteger("priority", Int32.self)
        self.flags = try o.optionalStrings("flags")
        self.runtime = try o.optionalInteger("runtime", UInt64.self)
        self.deadline = try o.optionalInteger("deadline", UInt64.self)
        self.period = try o.optionalInteger("period", UInt64.self)
    }
}

extension LinuxIOPriority: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.`class` = try o.string("class")
        self.priority = try o.integer("priority", Int.self)
    }
}

extension CPUAffinity: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.initial = try o.optionalString("initial")
        self.final = try o.optionalString("final")
    }
}

extension Root: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.path = try o.string("path")
        self.readonly = try o.optionalBool("readonly")
    }
}

extension Mount: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.destination = try o.string("destination")
        self.type = try o.optionalString("type")
        self.source = try o.optionalString("source")
        self.options = try o.optionalStrings("options")
        self.uidMappings = try o.optionalModels("uidMappings", LinuxIDMapping.self)
        self.gidMappings = try o.optionalModels("gidMappings", LinuxIDMapping.self)
    }
}

extension Hook: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.path = try o.string("path")
        self.args = try o.optionalStrings("args")
        self.env = try o.optionalStrings("env")
        self.timeout = try o.optionalInteger("timeout", Int.self)
    }
}

extension Hooks: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.prestart = try o.optionalModels("prestart", Hook.self)
        self.createRuntime = try o.optionalModels("createRuntime", Hook.self)
        self.createContainer = try o.optionalModels("createContainer", Hook.self)
        self.startContainer = try o.optionalModels("startContainer", Hook.self)
        self.poststart = try o.optionalModels("poststart", Hook.self)
        self.poststop = try o.optionalModels("poststop", Hook.self)
    }
}

extension Linux: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.uidMappings = try o.optionalModels("uidMappings", LinuxIDMapping.self)
        self.gidMappings = try o.optionalModels("gidMappings", LinuxIDMapping.self)
        self.sysctl = try o.optionalStringMap("sysctl")
        self.resources = try o.optionalModel("resources", LinuxResources.self)
        self.cgroupsPath = try o.optionalString("cgroupsPath")
        self.namespaces = try o.optionalModels("namespaces", LinuxNamespace.self)
        self.devices = try o.optionalModels("devices", LinuxDevice.self)
        self.netDevices = try o.optionalModelMap("netDevices", LinuxNetDevice.self)
        self.seccomp = try o.optionalModel("seccomp", LinuxSeccomp.self)
        self.rootfsPropagation = try o.optionalString("rootfsPropagation")
        self.maskedPaths = try o.optionalStrings("maskedPaths")
        self.readonlyPaths = try o.optionalStrings("readonlyPaths")
        self.mountLabel = try o.optionalString("mountLabel")
        self.intelRdt = try o.optionalModel("intelRdt", LinuxIntelRdt.self)
        self.memoryPolicy = try o.optionalModel("memoryPolicy", LinuxMemoryPolicy.self)
        self.personality = try o.optionalModel("personality", LinuxPersonality.self)
        self.timeOffsets = try o.optionalModelMap("timeOffsets", LinuxTimeOffset.self)
    }
}

extension LinuxNamespace: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.type = try o.string("type")
        self.path = try o.optionalString("path")
    }
}

extension LinuxIDMapping: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.containerID = try o.integer("containerID", UInt32.self)
        self.hostID = try o.integer("hostID", UInt32.self)
        self.size = try o.integer("size", UInt32.self)
    }
}

extension LinuxTimeOffset: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.secs = try o.optionalInteger("secs", Int64.self)
        self.nanosecs = try o.optionalInteger("nanosecs", UInt32.self)
    }
}

extension LinuxDevice: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.path = try o.string("path")
        self.type = try o.string("type")
        self.major = try o.optionalInteger("major", Int64.self)
        self.minor = try o.optionalInteger("minor", Int64.self)
        self.fileMode = try o.optionalInteger("fileMode", UInt32.self)
        self.uid = try o.optionalInteger("uid", UInt32.self)
        self.gid = try o.optionalInteger("gid", UInt32.self)
    }
}

extension LinuxNetDevice: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.name = try o.optionalString("name")
    }
}

extension LinuxPersonality: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.domain = try o.string("domain")
        self.flags = try o.optionalStrings("flags")
    }
}

extension LinuxIntelRdt: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.closID = try o.optionalString("closID")
        self.schemata = try o.optionalStrings("schemata")
        self.l3CacheSchema = try o.optionalString("l3CacheSchema")
        self.memBwSchema = try o.optionalString("memBwSchema")
        self.enableMonitoring = try o.optionalBool("enableMonitoring")
    }
}

extension LinuxMemoryPolicy: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.mode = try o.string("mode")
        self.nodes = try o.optionalString("nodes")
        self.flags = try o.optionalStrings("flags")
    }
}

extension LinuxResources: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.devices = try o.optionalModels("devices", LinuxDeviceCgroup.self)
        self.memory = try o.optionalModel("memory", LinuxMemory.self)
        self.cpu = try o.optionalModel("cpu", LinuxCPU.self)
        self.pids = try o.optionalModel("pids", LinuxPids.self)
        self.blockIO = try o.optionalModel("blockIO", LinuxBlockIO.self)
        self.hugepageLimits = try o.optionalModels("hugepageLimits", LinuxHugepageLimit.self)
        self.network = try o.optionalModel("network", LinuxNetwork.self)
        self.rdma = try o.optionalModelMap("rdma", LinuxRdma.self)
        self.unified = try o.optionalStringMap("unified")
    }
}

extension LinuxDeviceCgroup: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.allow = try o.bool("allow")
        self.type = try o.optionalString("type")
        self.major = try o.optionalInteger("major", Int64.self)
        self.minor = try o.optionalInteger("minor", Int64.self)
        self.access = try o.optionalString("access")
    }
}

extension LinuxMemory: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.limit = try o.optionalInteger("limit", Int64.self)
        self.reservation = try o.optionalInteger("reservation", Int64.self)
        self.swap = try o.optionalInteger("swap", Int64.self)
        self.kernel = try o.optionalInteger("kernel", Int64.self)
        self.kernelTCP = try o.optionalInteger("kernelTCP", Int64.self)
        self.swappiness = try o.optionalInteger("swappiness", UInt64.self)
        self.disableOOMKiller = try o.optionalBool("disableOOMKiller")
        self.useHierarchy = try o.optionalBool("useHierarchy")
        self.checkBeforeUpdate = try o.optionalBool("checkBeforeUpdate")
    }
}

extension LinuxCPU: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.shares = try o.optionalInteger("shares", UInt64.self)
        self.quota = try o.optionalInteger("quota", Int64.self)
        self.burst = try o.optionalInteger("burst", UInt64.self)
        self.period = try o.optionalInteger("period", UInt64.self)
        self.realtimeRuntime = try o.optionalInteger("realtimeRuntime", Int64.self)
        self.realtimePeriod = try o.optionalInteger("realtimePeriod", UInt64.self)
        self.cpus = try o.optionalString("cpus")
        self.mems = try o.optionalString("mems")
        self.idle = try o.optionalInteger("idle", Int64.self)
    }
}

extension LinuxPids: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.limit = try o.optionalInteger("limit", Int64.self)
    }
}

extension LinuxBlockIO: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.weight = try o.optionalInteger("weight", UInt16.self)
        self.leafWeight = try o.optionalInteger("leafWeight", UInt16.self)
        self.weightDevice = try o.optionalModels("weightDevice", LinuxWeightDevice.self)
        self.throttleReadBpsDevice = try o.optionalModels("throttleReadBpsDevice", LinuxThrottleDevice.self)
        self.throttleWriteBpsDevice = try o.optionalModels("throttleWriteBpsDevice", LinuxThrottleDevice.self)
        self.throttleReadIOPSDevice = try o.optionalModels("throttleReadIOPSDevice", LinuxThrottleDevice.self)
        self.throttleWriteIOPSDevice = try o.optionalModels("throttleWriteIOPSDevice", LinuxThrottleDevice.self)
    }
}

extension LinuxWeightDevice: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.major = try o.integer("major", Int64.self)
        self.minor = try o.integer("minor", Int64.self)
        self.weight = try o.optionalInteger("weight", UInt16.self)
        self.leafWeight = try o.optionalInteger("leafWeight", UInt16.self)
    }
}

extension LinuxThrottleDevice: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.major = try o.integer("major", Int64.self)
        self.minor = try o.integer("minor", Int64.self)
        self.rate = try o.integer("rate", UInt64.self)
    }
}

extension LinuxHugepageLimit: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.pageSize = try o.string("pageSize")
        self.limit = try o.integer("limit", UInt64.self)
    }
}

extension LinuxNetwork: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.classID = try o.optionalInteger("classID", UInt32.self)
        self.priorities = try o.optionalModels("priorities", LinuxInterfacePriority.self)
    }
}

extension LinuxInterfacePriority: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.name = try o.string("name")
        self.priority = try o.integer("priority", UInt32.self)
    }
}

extension LinuxRdma: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.hcaHandles = try o.optionalInteger("hcaHandles", UInt32.self)
        self.hcaObjects = try o.optionalInteger("hcaObjects", UInt32.self)
    }
}

extension LinuxSeccomp: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.defaultAction = try o.string("defaultAction")
        self.defaultErrnoRet = try o.optionalInteger("defaultErrnoRet", UInt.self)
        self.architectures = try o.optionalStrings("architectures")
        self.flags = try o.optionalStrings("flags")
        self.listenerPath = try o.optionalString("listenerPath")
        self.listenerMetadata = try o.optionalString("listenerMetadata")
        self.syscalls = try o.optionalModels("syscalls", LinuxSyscall.self)
    }
}

extension LinuxSyscall: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.names = try o.strings("names")
        self.action = try o.string("action")
        self.errnoRet = try o.optionalInteger("errnoRet", UInt.self)
        self.args = try o.optionalModels("args", LinuxSeccompArg.self)
    }
}

extension LinuxSeccompArg: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init()
        self.index = try o.integer("index", UInt.self)
        self.value = try o.integer("value", UInt64.self)
        self.valueTwo = try o.optionalInteger("valueTwo", UInt64.self)
        self.op = try o.string("op")
    }
}
