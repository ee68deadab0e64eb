// `mounts`, `linux.devices`, `linux.rootfsPropagation`, masked and read-only paths.

extension SpecValidator {
    mutating func checkMounts(at path: IssuePath) {
        for (i, mount) in (spec.mounts ?? []).enumerated() {
            checkMount(mount, at: path.at(i))
        }
    }

    mutating func checkMount(_ m: Mount, at path: IssuePath) {
        let options = m.options ?? []
        if m.destination.isEmpty {
            error(path.dot("destination"), "must not be empty")
        } else if !m.destination.hasPrefix("/") {
            // The spec still allows relative destinations (deprecated, taken relative to "/")
            // and runc 1.5 only warns about them, so refusing one would break old configs.
            warn(path.dot("destination"), "relative destination \(jsonQuoted(m.destination)) is deprecated; it is taken as relative to /")
        }
        for (field, value) in [("destination", m.destination), ("source", m.source ?? ""), ("type", m.type ?? "")]
            where value.utf8.contains(0) {
            error(path.dot(field), "must not contain a NUL byte")
        }
        let isBind = options.contains("bind") || options.contains("rbind")
        if (m.type ?? "").isEmpty && !isBind && !options.contains("remount") {
            error(path.dot("type"), "is required unless the mount is a bind mount (options \"bind\" or \"rbind\")")
        }
        if isBind {
            // The kernel ignores filesystem data on a bind mount, so an option that is not a
            // mount flag would be silently dropped: runc refuses it.
            for (j, option) in options.enumerated() where !isKnownMountOption(option) {
                error(path.dot("options").at(j), "bind mounts cannot have filesystem-specific option \(jsonQuoted(option))")
            }
        }
        checkMountIDMapping(m, options: options, isBind: isBind, at: path)
    }

    private mutating func checkMountIDMapping(_ m: Mount, options: [String], isBind: Bool, at path: IssuePath) {
        let wantsIDMap = options.contains("idmap") || options.contains("ridmap")
        let hasMappings = m.uidMappings != nil || m.gidMappings != nil
        guard wantsIDMap || hasMappings else { return }
        if !isBind { error(path, "id-mapped mounts are only supported for bind mounts") }
        if self.options.rootless { error(path, "id-mapped mounts are not supported for rootless containers") }
        if hasMappings {
            if m.uidMappings == nil { error(path.dot("uidMappings"), "must be given together with gidMappings") }
            if m.gidMappings == nil { error(path.dot("gidMappings"), "must be given together with uidMappings") }
            checkIDMappings(m.uidMappings, at: path.dot("uidMappings"))
            checkIDMappings(m.gidMappings, at: path.dot("gidMappings"))
        } else if !namespaces.contains("user") {
            error(path.dot("options"), "idmap needs uidMappings and gidMappings, or a user namespace whose mappings it can use")
        }
    }

    mutating func checkDevices(_ devices: [LinuxDevice]?, at path: IssuePath) {
        var seen: [String: Int] = [:]
        for (i, d) in (devices ?? []).enumerated() {
            let at = path.at(i)
            if d.path.isEmpty {
                error(at.dot("path"), "must not be empty")
            } else if !d.path.hasPrefix("/") {
                error(at.dot("path"), "must be an absolute path, got \(jsonQuoted(d.path))")
            } else {
                let clean = cleanPath(d.path)
                if clean == "/" { error(at.dot("path"), "must name a file, not /") }
                if let first = seen[clean] {
                    error(at.dot("path"), "duplicate device \(clean) (first at \(path.at(first)))")
                } else {
                    seen[clean] = i
                }
            }
            switch d.type {
            case "c", "b", "u":
                if d.major == nil { error(at.dot("major"), "is required for device type \(jsonQuoted(d.type))") }
                if d.minor == nil { error(at.dot("minor"), "is required for device type \(jsonQuoted(d.type))") }
            case "p":
                break
            default:
                error(at.dot("type"), "unknown device type \(jsonQuoted(d.type)) (want c, b, u or p)")
            }
            if let major = d.major, major < 0 { error(at.dot("major"), "must not be negative, got \(major)") }
            if let minor = d.minor, minor < 0 { error(at.dot("minor"), "must not be negative, got \(minor)") }
        }
    }

    mutating func checkRootfsPropagation(_ value: String?, at path: IssuePath) {
        guard let value, !value.isEmpty else { return }
        guard KnownNames.rootfsPropagations.contains(value) else {
            return error(path, "unknown rootfs propagation \(jsonQuoted(value))")
        }
        if options.noPivotRoot && (value == "private" || value == "rprivate") {
            error(path, "rootfsPropagation of [r]private is not safe without pivot_root")
        }
    }

    mutating func checkRestrictedPaths(_ linux: Linux, at path: IssuePath) {
        let lists = [("maskedPaths", linux.maskedPaths ?? []), ("readonlyPaths", linux.readonlyPaths ?? [])]
        for (name, list) in lists {
            for (i, p) in list.enumerated() where !p.hasPrefix("/") {
                error(path.dot(name).at(i), "must be an absolute path, got \(jsonQuoted(p))")
            }
            if !list.isEmpty && !namespaces.contains("mount") {
                error(path.dot(name), "unable to restrict paths without a private mount namespace")
            }
        }
    }
}

private let knownMountOptions = Set(KnownNames.mountOptions)

func isKnownMountOption(_ option: String) -> Bool { knownMountOptions.contains(option) }
