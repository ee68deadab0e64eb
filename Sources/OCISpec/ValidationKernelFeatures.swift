// `linux.personality`, `linux.memoryPolicy` and `linux.intelRdt`: small objects whose values
// map one-to-one onto kernel constants.

extension SpecValidator {
    mutating func checkPersonality(_ p: LinuxPersonality, at path: IssuePath) {
        if !KnownNames.personalityDomains.contains(p.domain) {
            error(path.dot("domain"), "invalid personality domain \(jsonQuoted(p.domain)) (want \"LINUX\" or \"LINUX32\")")
        }
        if let flags = p.flags, !flags.isEmpty {
            // runc ignores them with a warning: the spec defines no flag values yet.
            warn(path.dot("flags"), "personality flags are not supported and are ignored")
        }
    }

    /// set_mempolicy(2): which modes take nodes, and flags that exclude each other.
    mutating func checkMemoryPolicy(_ p: LinuxMemoryPolicy, at path: IssuePath) {
        var nodeCount: Int?
        if let nodes = p.nodes, !nodes.isEmpty {
            do { nodeCount = try CPUList(parsing: nodes).count } catch { self.error(path.dot("nodes"), error.message) }
        } else {
            nodeCount = 0
        }
        switch p.mode {
        case "MPOL_DEFAULT", "MPOL_LOCAL":
            if let n = nodeCount, n != 0 { error(path.dot("nodes"), "\(p.mode) takes no nodes, got \(n)") }
        case "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_PREFERRED_MANY", "MPOL_WEIGHTED_INTERLEAVE":
            if nodeCount == 0 { error(path.dot("nodes"), "\(p.mode) needs at least one node") }
        case "MPOL_PREFERRED":
            break
        default:
            error(path.dot("mode"), "unknown memory policy mode \(jsonQuoted(p.mode))")
        }
        let flags = p.flags ?? []
        for (i, flag) in flags.enumerated() where !KnownNames.memoryPolicyFlags.contains(flag) {
            error(path.dot("flags").at(i), "unknown memory policy flag \(jsonQuoted(flag))")
        }
        if flags.contains("MPOL_F_STATIC_NODES") && flags.contains("MPOL_F_RELATIVE_NODES") {
            error(path.dot("flags"), "MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES cannot be combined")
        }
    }

    mutating func checkIntelRdt(_ rdt: LinuxIntelRdt, at path: IssuePath) {
        if let clos = rdt.closID, clos == "." || clos == ".." || (clos.utf8.count > 1 && clos.contains("/")) {
            error(path.dot("closID"), "invalid CLOS id \(jsonQuoted(clos))")
        }
        if let mb = rdt.memBwSchema, !mb.isEmpty {
            if !mb.hasPrefix("MB:") { error(path.dot("memBwSchema"), "must start with \"MB:\"") }
            if mb.contains("\n") { error(path.dot("memBwSchema"), "must not contain newlines") }
        }
        if let l3 = rdt.l3CacheSchema, l3.contains("\n") {
            warn(path.dot("l3CacheSchema"), "should not contain newlines")
        }
        for (i, line) in (rdt.schemata ?? []).enumerated() where line.contains("\n") {
            error(path.dot("schemata").at(i), "must not contain newlines")
        }
    }
}
