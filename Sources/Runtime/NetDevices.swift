// `linux.netDevices`: host interfaces moved into the container's network namespace by the
// parent once init has made it, before init's setup (its sysctls may name them). They are
// never moved back (config-linux.md: the runtime MUST NOT); when the namespace goes away the
// kernel returns physical devices to the host and destroys virtual ones.
#if canImport(Glibc)
import Glibc
#endif
import Linux
import OCISpec

enum NetDevices {
    static func move(_ devices: [String: LinuxNetDevice], intoNamespaceOf pid: Int32) throws {
        let namespacePath = "/proc/\(pid)/ns/net"
        let host = LinkControl(socket: try NetlinkSocket())
        var container: LinkControl?
        for hostName in devices.keys.sorted() {
            let field = "linux.netDevices[\"\(hostName)\"]"
            try context(field) {
                let target = devices[hostName]?.name.flatMap { $0.isEmpty ? nil : $0 } ?? hostName
                if container == nil { container = LinkControl(socket: try NetlinkSocket.inNamespace(namespacePath)) }
                try move(hostName, as: target, host: host, container: container!, namespacePath: namespacePath)
            }
        }
    }

    private static func move(_ name: String, as target: String, host: LinkControl, container: LinkControl,
                             namespacePath: String) throws {
        let link: NetworkLink
        do { link = try host.link(named: name) } catch let error as NetlinkError where error.errno == ENODEV {
            throw RuntimeError("no network device \"\(name)\" in the runtime's network namespace")
        }
        // The kernel moves first and renames after: a clash found then would leave the device
        // in a namespace that is about to go away, so look before moving.
        if !target.contains("%"), (try? container.link(named: target)) != nil {
            throw RuntimeError("a network device named \"\(target)\" already exists in the container's network namespace")
        }
        let addresses = try host.addresses(of: link).filter(\.movesWithInterface)
        // Down first, so nothing on the host keeps using it while it changes namespace.
        if link.isUp { try host.setUp(link, false) }
        let namespaceFD = try check("open", path: namespacePath) { open(namespacePath, O_RDONLY | O_CLOEXEC) }
        defer { close(namespaceFD) }
        do {
            try host.move(link, renamedTo: target, namespaceFD: namespaceFD)
        } catch {
            if link.isUp { try? host.setUp(link, true) }
            throw error
        }
        let moved = try find(link, named: target, in: container)
        for address in addresses { try container.add(address, to: moved) }
        try container.setUp(moved, true)
    }

    /// The interface after the move: the kernel keeps its index unless the namespace already
    /// uses it, and a `%d` name template is filled in by the kernel.
    private static func find(_ link: NetworkLink, named target: String, in container: LinkControl) throws -> NetworkLink {
        if let same = try? container.link(index: link.index), same.hardwareAddress == link.hardwareAddress { return same }
        if !target.contains("%"), let named = try? container.link(named: target) { return named }
        if let byAddress = try container.links().first(where: { $0.hardwareAddress == link.hardwareAddress && link.hardwareAddress != nil }) {
            return byAddress
        }
        throw RuntimeError("moved, but not found in the container's network namespace as \"\(target)\"")
    }
}
