// The bootstrap message read and written by hand (see OCISpec's JSONModelReader.swift for why
// not Codable): init decodes it first thing, when nothing is warm.
import OCISpec

extension InitMode: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let text = try JSONRead.string(json, at: path)
        guard let mode = InitMode(rawValue: text) else {
            throw JSONDecodeError(path: path.string, message: "unknown init mode \(text)")
        }
        self = mode
    }
}

extension InitBootstrap: JSONReadable, JSONWritable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        mode = try o.model("mode", InitMode.self)
        containerID = try o.string("containerID")
        bundle = try o.string("bundle")
        noPivot = try o.bool("noPivot")
        consoleToParent = try o.bool("consoleToParent")
        preservedFDs = try o.integer("preservedFDs", Int.self)
        listenFDs = try o.optionalInteger("listenFDs", Int.self)
        hasSeccomp = try o.bool("hasSeccomp")
        seccompFlags = try o.optionalInteger("seccompFlags", UInt32.self)
        seccompNotify = try o.optionalBool("seccompNotify")
        selfJoinCgroups = try o.optionalStringMap("selfJoinCgroups")
        debug = try o.bool("debug")
        logJSON = try o.bool("logJSON")
        cgroupHierarchies = try o.optionalModels("cgroupHierarchies", CgroupHierarchy.self)
        cgroupsReadyFollows = try o.optionalBool("cgroupsReadyFollows")
        passedFDsFollow = try o.optionalInteger("passedFDsFollow", Int.self)
    }

    /// Everything but the spec, which travels as its own message.
    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("mode", mode.rawValue)
        o.add("containerID", containerID)
        o.add("bundle", bundle)
        o.add("noPivot", noPivot)
        o.add("consoleToParent", consoleToParent)
        o.add("preservedFDs", preservedFDs)
        o.add("listenFDs", listenFDs)
        o.add("hasSeccomp", hasSeccomp)
        o.add("seccompFlags", seccompFlags)
        o.add("seccompNotify", seccompNotify)
        o.add("selfJoinCgroups", selfJoinCgroups)
        o.add("debug", debug)
        o.add("logJSON", logJSON)
        o.add("cgroupHierarchies", cgroupHierarchies)
        o.add("cgroupsReadyFollows", cgroupsReadyFollows)
        o.add("passedFDsFollow", passedFDsFollow)
        return o.value
    }
}

extension CgroupHierarchy: JSONReadable, JSONWritable {
    init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init(mountPoint: try o.string("mountPoint"), ownDirectory: try o.string("ownDirectory"),
                  subsystems: try o.strings("subsystems"))
    }

    var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("mountPoint", mountPoint)
        o.add("ownDirectory", ownDirectory)
        o.add("subsystems", subsystems)
        return o.value
    }
}
