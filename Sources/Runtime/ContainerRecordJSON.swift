// state.json read and written by hand (see OCISpec's JSONModelReader.swift for why not
// Codable): `start`, `state`, `delete` and `list` each read it cold.
import OCISpec

extension ContainerRecord: JSONReadable, JSONWritable {
    public init(json: JSONValue, at path: JSONPath) throws {
        let o = try JSONObjectReader(json, at: path)
        self.init(id: try o.string("id"), bundle: try o.string("bundle"), initPid: 0, initStartTime: 0,
                  created: "", ociVersion: "", annotations: nil, poststart: nil, poststop: nil, cgroupPaths: [:])
        rootfs = try o.optionalString("rootfs")
        initPid = try o.integer("initPid", Int32.self)
        initStartTime = try o.integer("initStartTime", UInt64.self)
        created = try o.string("created")
        ociVersion = try o.string("ociVersion")
        annotations = try o.optionalStringMap("annotations")
        poststart = try o.optionalModels("poststart", Hook.self)
        poststop = try o.optionalModels("poststop", Hook.self)
        cgroupPaths = try o.stringMap("cgroupPaths")
        namespacePaths = try o.optionalStringMap("namespacePaths")
        rootless = try o.optionalBool("rootless")
        resources = try o.optionalModel("resources", LinuxResources.self)
    }

    public var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("id", id)
        o.add("bundle", bundle)
        o.add("rootfs", rootfs)
        o.add("initPid", initPid)
        o.add("initStartTime", initStartTime)
        o.add("created", created)
        o.add("ociVersion", ociVersion)
        o.add("annotations", annotations)
        o.add("poststart", poststart)
        o.add("poststop", poststop)
        o.add("cgroupPaths", cgroupPaths)
        o.add("namespacePaths", namespacePaths)
        o.add("rootless", rootless)
        o.add("resources", resources)
        return o.value
    }
}

extension RecoveryRecord: JSONReadable {
    public init(json: JSONValue, at path: JSONPath) throws {
        self.init(cgroupPaths: try JSONObjectReader(json, at: path).stringMap("cgroupPaths"))
    }
}
