// rtnetlink operations on network interfaces and their addresses: what moving a host
// interface into a container's network namespace takes (rtnetlink(7)).
#if canImport(Glibc)
import Glibc
#endif

/// include/uapi/linux/rtnetlink.h, if_link.h, if_addr.h
public enum RouteNetlink {
    public static let newLink: UInt16 = 16
    public static let getLink: UInt16 = 18
    public static let newAddress: UInt16 = 20
    public static let getAddress: UInt16 = 22

    public static let linkAddress: UInt16 = 1      // IFLA_ADDRESS
    public static let linkName: UInt16 = 3         // IFLA_IFNAME
    public static let linkNamespaceFD: UInt16 = 28 // IFLA_NET_NS_FD

    public static let addressAddress: UInt16 = 1   // IFA_ADDRESS
    public static let addressLocal: UInt16 = 2     // IFA_LOCAL
    public static let addressBroadcast: UInt16 = 4 // IFA_BROADCAST
    public static let addressFlags: UInt16 = 8     // IFA_FLAGS

    public static let interfaceUp: UInt32 = 0x1    // IFF_UP
    public static let permanent: UInt32 = 0x80     // IFA_F_PERMANENT
    public static let scopeUniverse: UInt8 = 0     // RT_SCOPE_UNIVERSE
    /// Address flags a user may set (NODAD, HOMEADDRESS, MANAGETEMPADDR, NOPREFIXROUTE,
    /// MCAUTOJOIN); the rest are state the kernel keeps itself.
    public static let settableAddressFlags: UInt32 = 0x02 | 0x10 | 0x100 | 0x200 | 0x400

    /// struct ifinfomsg: family, pad, type, index, flags, change.
    public static func linkHeader(index: Int32, flags: UInt32 = 0, change: UInt32 = 0) -> NetlinkWriter {
        var w = NetlinkWriter()
        w.u8(UInt8(AF_UNSPEC))
        w.u8(0)
        w.u16(0)
        w.i32(index)
        w.u32(flags)
        w.u32(change)
        return w
    }

    /// Moves (and renames, in the same request, so the name never clashes on the way) the
    /// interface into the namespace `namespaceFD` refers to.
    public static func moveLinkRequest(index: Int32, name: String, namespaceFD: Int32) -> [UInt8] {
        var w = linkHeader(index: index)
        w.attribute(linkName, string: name)
        w.attribute(linkNamespaceFD, u32: UInt32(bitPattern: namespaceFD))
        return w.bytes
    }

    public static func setLinkUpRequest(index: Int32, up: Bool) -> [UInt8] {
        linkHeader(index: index, flags: up ? interfaceUp : 0, change: interfaceUp).bytes
    }

    public static func getLinkRequest(name: String) -> [UInt8] {
        var w = linkHeader(index: 0)
        w.attribute(linkName, string: name)
        return w.bytes
    }

    /// struct ifaddrmsg: family, prefix length, flags, scope, index.
    public static func addAddressRequest(_ a: InterfaceAddress, index: Int32) -> [UInt8] {
        var w = NetlinkWriter()
        w.u8(a.family)
        w.u8(a.prefixLength)
        w.u8(UInt8(a.flags & 0xff & settableAddressFlags))
        w.u8(a.scope)
        w.u32(UInt32(bitPattern: index))
        if let local = a.local { w.attribute(addressLocal, local) }
        if let address = a.address { w.attribute(addressAddress, address) }
        if let broadcast = a.broadcast { w.attribute(addressBroadcast, broadcast) }
        let flags = a.flags & settableAddressFlags
        if flags > 0xff { w.attribute(addressFlags, u32: flags) }
        return w.bytes
    }
}

public struct NetworkLink: Equatable {
    public var index: Int32
    public var name: String
    public var flags: UInt32
    public var hardwareAddress: [UInt8]?

    public var isUp: Bool { flags & RouteNetlink.interfaceUp != 0 }

    /// An RTM_NEWLINK answer.
    public init?(_ m: NetlinkMessage) {
        guard m.type == RouteNetlink.newLink, m.payload.count >= 16 else { return nil }
        let r = NetlinkReader(m.payload[...])
        index = r.i32(at: 4)
        flags = r.u32(at: 8)
        let attributes = NetlinkAttributes(m.payload[16...])
        name = attributes.string(RouteNetlink.linkName) ?? ""
        hardwareAddress = attributes[RouteNetlink.linkAddress]
    }
}

public struct InterfaceAddress: Equatable {
    public var family: UInt8
    public var prefixLength: UInt8
    /// IFA_FLAGS when present (it holds the bits that do not fit ifa_flags), else ifa_flags.
    public var flags: UInt32
    public var scope: UInt8
    public var index: Int32
    public var local: [UInt8]?
    public var address: [UInt8]?
    public var broadcast: [UInt8]?

    public init(family: UInt8, prefixLength: UInt8, flags: UInt32, scope: UInt8, index: Int32,
                local: [UInt8]? = nil, address: [UInt8]? = nil, broadcast: [UInt8]? = nil) {
        self.family = family; self.prefixLength = prefixLength; self.flags = flags; self.scope = scope
        self.index = index; self.local = local; self.address = address; self.broadcast = broadcast
    }

    /// An RTM_NEWADDR answer.
    public init?(_ m: NetlinkMessage) {
        guard m.type == RouteNetlink.newAddress, m.payload.count >= 8 else { return nil }
        let r = NetlinkReader(m.payload[...])
        let attributes = NetlinkAttributes(m.payload[8...])
        self.init(family: r.u8(at: 0), prefixLength: r.u8(at: 1),
                  flags: attributes.u32(RouteNetlink.addressFlags) ?? UInt32(r.u8(at: 2)),
                  scope: r.u8(at: 3), index: Int32(bitPattern: r.u32(at: 4)),
                  local: attributes[RouteNetlink.addressLocal], address: attributes[RouteNetlink.addressAddress],
                  broadcast: attributes[RouteNetlink.addressBroadcast])
    }

    /// What config-linux.md says moves with an interface: permanent, global-scope addresses.
    public var movesWithInterface: Bool {
        flags & RouteNetlink.permanent != 0 && scope == RouteNetlink.scopeUniverse
    }

    /// `10.0.0.1/24` or `fd00::1/64`, for messages.
    public var text: String {
        guard let bytes = local ?? address else { return "?" }
        var buffer = [CChar](repeating: 0, count: 64)
        let ok = bytes.withUnsafeBytes { raw in inet_ntop(Int32(family), raw.baseAddress, &buffer, 64) != nil }
        return (ok ? String(cString: buffer) : "?") + "/\(prefixLength)"
    }
}

/// Interface operations over one NETLINK_ROUTE socket (so in one network namespace).
public struct LinkControl {
    public let socket: NetlinkSocket
    public init(socket: NetlinkSocket) { self.socket = socket }

    public func link(named name: String) throws -> NetworkLink {
        let answers = try socket.request(type: RouteNetlink.getLink, payload: RouteNetlink.getLinkRequest(name: name),
                                         operation: "RTM_GETLINK \(name)")
        guard let link = answers.lazy.compactMap(NetworkLink.init).first else {
            throw NetlinkError(operation: "RTM_GETLINK \(name)", errno: ENODEV, message: nil)
        }
        return link
    }

    public func link(index: Int32) throws -> NetworkLink {
        let answers = try socket.request(type: RouteNetlink.getLink, payload: RouteNetlink.linkHeader(index: index).bytes,
                                         operation: "RTM_GETLINK index \(index)")
        guard let link = answers.lazy.compactMap(NetworkLink.init).first else {
            throw NetlinkError(operation: "RTM_GETLINK index \(index)", errno: ENODEV, message: nil)
        }
        return link
    }

    public func links() throws -> [NetworkLink] {
        try socket.request(type: RouteNetlink.getLink, flags: NetlinkFlag.dump,
                           payload: RouteNetlink.linkHeader(index: 0).bytes, operation: "RTM_GETLINK dump")
            .compactMap(NetworkLink.init)
    }

    public func setUp(_ link: NetworkLink, _ up: Bool) throws {
        _ = try socket.request(type: RouteNetlink.newLink, payload: RouteNetlink.setLinkUpRequest(index: link.index, up: up),
                               operation: "set \(link.name) \(up ? "up" : "down")")
    }

    public func move(_ link: NetworkLink, renamedTo name: String, namespaceFD: Int32) throws {
        _ = try socket.request(type: RouteNetlink.newLink,
                               payload: RouteNetlink.moveLinkRequest(index: link.index, name: name, namespaceFD: namespaceFD),
                               operation: "move \(link.name) to the container's network namespace as \(name)")
    }

    public func addresses(of link: NetworkLink) throws -> [InterfaceAddress] {
        var w = NetlinkWriter()
        w.u8(UInt8(AF_UNSPEC)); w.u8(0); w.u8(0); w.u8(0); w.u32(0)
        return try socket.request(type: RouteNetlink.getAddress, flags: NetlinkFlag.dump, payload: w.bytes,
                                  operation: "RTM_GETADDR \(link.name)")
            .compactMap(InterfaceAddress.init).filter { $0.index == link.index }
    }

    public func add(_ address: InterfaceAddress, to link: NetworkLink) throws {
        _ = try socket.request(type: RouteNetlink.newAddress, flags: NetlinkFlag.create | NetlinkFlag.excl,
                               payload: RouteNetlink.addAddressRequest(address, index: link.index),
                               operation: "add address \(address.text) to \(link.name)")
    }
}
