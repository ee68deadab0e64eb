// Idmapped bind mounts (`idmap`, `ridmap`, mount uidMappings/gidMappings): the parent makes
// each as a detached mount while it is still in the host's user namespace (init, in a new
// user namespace, could not), sends them to init by name over the sync pipe, and init
// attaches them in place of a plain bind (SpecMounter).
#if canImport(Glibc)
import Glibc
#endif
import Linux
import OCISpec

struct IDMappedSources {
    /// config.json mount index -> detached idmapped mount.
    private(set) var trees: [Int: Int32] = [:]

    /// What the init process is sent (InitSession.sendFD): name -> fd.
    var namedFDs: [String: Int32] {
        Dictionary(uniqueKeysWithValues: trees.map { (PassedFDName.idmappedMount($0.key), $0.value) })
    }

    /// Most mounts have neither mappings nor an idmap option: no full option parse for them.
    static func mayNeedIDMap(_ mount: Mount) -> Bool {
        mount.uidMappings != nil || mount.gidMappings != nil
            || (mount.options ?? []).contains(where: { $0 == "idmap" || $0 == "ridmap" })
    }

    /// How many detached mounts `prepare` makes for this config (init is told before they exist).
    static func mountsNeedingIDMap(in spec: Spec) -> Int {
        var count = 0
        for mount in spec.mounts ?? [] where mayNeedIDMap(mount) && needsIDMap(mount, MountOptions(parsing: mount.options ?? [])) {
            count += 1
        }
        return count
    }

    static func needsIDMap(_ mount: Mount, _ options: MountOptions) -> Bool {
        options.idmap != nil || mount.uidMappings != nil || mount.gidMappings != nil
    }

    static func prepare(spec: Spec, bundle: String) throws -> IDMappedSources {
        var sources = IDMappedSources()
        var namespaces: [String: Int32] = [:]
        defer { for fd in namespaces.values { close(fd) } }
        do {
            for (index, mount) in (spec.mounts ?? []).enumerated() {
                guard mayNeedIDMap(mount) else { continue }
                let options = MountOptions(parsing: mount.options ?? [])
                guard needsIDMap(mount, options) else { continue }
                try context("mounts[\(index)]") {
                    guard options.isBind else { throw RuntimeError("idmapped mounts are only supported for bind mounts") }
                    let userNamespace = try namespace(for: mount, spec: spec, cache: &namespaces)
                    let source = LexicalPath.absolute(mount.source ?? "", from: bundle)
                    sources.trees[index] = try IDMappedMount.detached(
                        source: source, recursive: options.isRecursiveBind, userNamespace: userNamespace,
                        idmapRecursive: options.idmap == .recursive)
                }
            }
        } catch {
            sources.closeAll()
            throw error
        }
        return sources
    }

    /// The mount's own mappings, else the container's user namespace (config.md: the
    /// runtime MAY use it): the one joined by path, or one with the container's mappings.
    private static func namespace(for mount: Mount, spec: Spec, cache: inout [String: Int32]) throws -> Int32 {
        var uids = mount.uidMappings, gids = mount.gidMappings
        if uids == nil && gids == nil {
            if let path = spec.linux?.namespaces?.first(where: { $0.type == "user" })?.path, !path.isEmpty {
                if let fd = cache["path:" + path] { return fd }
                let fd = try check("open", path: path) { open(path, O_RDONLY | O_CLOEXEC) }
                cache["path:" + path] = fd
                return fd
            }
            guard spec.linux?.namespaces?.contains(where: { $0.type == "user" }) == true else {
                throw RuntimeError("idmap needs uidMappings and gidMappings, or a user namespace whose mappings it can use")
            }
            uids = spec.linux?.uidMappings
            gids = spec.linux?.gidMappings
        }
        guard let uids, let gids, !uids.isEmpty, !gids.isEmpty else {
            throw RuntimeError("uidMappings and gidMappings must both be given and not empty")
        }
        let uidMap = IDMapWriter.render(uids), gidMap = IDMapWriter.render(gids)
        let key = uidMap + "|" + gidMap
        if let fd = cache[key] { return fd }
        let fd = try IDMappedMount.userNamespace(uidMap: uidMap, gidMap: gidMap)
        cache[key] = fd
        return fd
    }

    func closeAll() {
        for fd in trees.values { close(fd) }
    }

    /// Init's side: the trees the parent sent, found by mount index.
    static func received(_ fds: [String: Int32], mountCount: Int) -> [Int: Int32] {
        var trees: [Int: Int32] = [:]
        for index in 0..<mountCount {
            if let fd = fds[PassedFDName.idmappedMount(index)] { trees[index] = fd }
        }
        return trees
    }
}
