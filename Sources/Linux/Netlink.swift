// Netlink messages (netlink(7)): encoding and decoding as plain bytes, so they are tested
// without a kernel, and a NETLINK_ROUTE socket that sends a request and collects its answer.
#if canImport(Glibc)
import Glibc
#endif
import CShims

/// include/uapi/linux/netlink.h
public enum NetlinkFlag {
    public static let request: UInt16 = 0x01
    public static let ack: UInt16 = 0x04
    public static let dump: UInt16 = 0x300
    public static let excl: UInt16 = 0x200
    public static let create: UInt16 = 0x400
    /// On an error message: the original request was cut to its header.
    public static let capped: UInt16 = 0x100
    /// On an error message: extended-ack attributes follow.
    public static let ackTLVs: UInt16 = 0x200
}

public enum NetlinkMessageType {
    public static let error: UInt16 = 2
    public static let done: UInt16 = 3
}

/// Appends fields in host byte order, as netlink wants them.
public struct NetlinkWriter {
    public private(set) var bytes: [UInt8] = []
    public init() {}

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v) { bytes += $0 } }
    public mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v) { bytes += $0 } }
    public mutating func i32(_ v: Int32) { withUnsafeBytes(of: v) { bytes += $0 } }
    public mutating func raw(_ v: [UInt8]) { bytes += v }
    public mutating func pad() { while bytes.count % 4 != 0 { bytes.append(0) } }

    /// One rtattr: length (header included, padding not), type, data, padding to 4 bytes.
    public mutating func attribute(_ type: UInt16, _ data: [UInt8]) {
        u16(UInt16(4 + data.count))
        u16(type)
        raw(data)
        pad()
    }

    public mutating func attribute(_ type: UInt16, string: String) { attribute(type, Array(string.utf8) + [0]) }

    public mutating func attribute(_ type: UInt16, u32 value: UInt32) {
        attribute(type, withUnsafeBytes(of: value) { Array($0) })
    }
}

/// Reads fields in host byte order; out-of-range reads return zero and mark it short.
public struct NetlinkReader {
    public let bytes: ArraySlice<UInt8>
    public init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    public func u8(at offset: Int) -> UInt8 { offset < bytes.count ? bytes[bytes.startIndex + offset] : 0 }
    public func u16(at offset: Int) -> UInt16 { load(at: offset, as: UInt16.self) }
    public func u32(at offset: Int) -> UInt32 { load(at: offset, as: UInt32.self) }
    public func i32(at offset: Int) -> Int32 { Int32(bitPattern: u32(at: offset)) }

    private func load<T: FixedWidthInteger>(at offset: Int, as: T.Type) -> T {
        let size = MemoryLayout<T>.size
        guard offset >= 0, offset + size <= bytes.count else { return 0 }
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { out in
            for i in 0..<size { out[i] = bytes[bytes.startIndex + offset + i] }
        }
        return value
    }
}

public struct NetlinkMessage: Equatable {
    public var type: UInt16
    public var flags: UInt16
    public var sequence: UInt32
    public var portID: UInt32
    public var payload: [UInt8]

    public static let headerSize = 16

    public init(type: UInt16, flags: UInt16, sequence: UInt32 = 0, portID: UInt32 = 0, payload: [UInt8]) {
        self.type = type; self.flags = flags; self.sequence = sequence; self.portID = portID; self.payload = payload
    }

    public func encoded() -> [UInt8] {
        var w = NetlinkWriter()
        w.u32(UInt32(NetlinkMessage.headerSize + payload.count))
        w.u16(type)
        w.u16(flags)
        w.u32(sequence)
        w.u32(portID)
        w.raw(payload)
        w.pad()
        return w.bytes
    }

    /// Every whole message in one datagram.
    public static func decode(_ datagram: [UInt8]) throws -> [NetlinkMessage] {
        var messages: [NetlinkMessage] = []
        var offset = 0
        while datagram.count - offset >= headerSize {
            let r = NetlinkReader(datagram[offset...])
            let length = Int(r.u32(at: 0))
            guard length >= headerSize, offset + length <= datagram.count else {
                throw SyscallError("netlink: truncated message (length \(length) at offset \(offset) of \(datagram.count))", errno: EBADMSG)
            }
            messages.append(NetlinkMessage(type: r.u16(at: 4), flags: r.u16(at: 6), sequence: r.u32(at: 8),
                                           portID: r.u32(at: 12),
                                           payload: Array(datagram[(offset + headerSize)..<(offset + length)])))
            offset += (length + 3) & ~3
        }
        return messages
    }
}

/// rtattrs following a fixed header, by type (the last one of a type wins).
public struct NetlinkAttributes: Equatable {
    public private(set) var values: [UInt16: [UInt8]] = [:]

    public init(_ bytes: ArraySlice<UInt8>) {
        var offset = 0
        while bytes.count - offset >= 4 {
            let r = NetlinkReader(bytes[(bytes.startIndex + offset)...])
            let length = Int(r.u16(at: 0))
            guard length >= 4, offset + length <= bytes.count else { break }
            // NLA_F_NESTED and NLA_F_NET_BYTEORDER ride in the top bits of the type.
            let type = r.u16(at: 2) & 0x3fff
            let start = bytes.startIndex + offset + 4
            values[type] = Array(bytes[start..<(start + length - 4)])
            offset += (length + 3) & ~3
        }
    }

    public subscript(type: UInt16) -> [UInt8]? { values[type] }

    public func string(_ type: UInt16) -> String? {
        values[type].map { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    public func u32(_ type: UInt16) -> UInt32? {
        guard let v = values[type], v.count >= 4 else { return nil }
        return NetlinkReader(v[...]).u32(at: 0)
    }
}

/// A kernel error answer: errno and, with extended acks, the kernel's own explanation.
public struct NetlinkError: Error, CustomStringConvertible, Equatable {
    public var operation: String
    public var errno: Int32
    public var message: String?

    public var description: String {
        "\(operation): \(errnoDescription(errno))" + (message.map { " (\($0))" } ?? "")
    }

    /// nil for a plain ack (error 0).
    public static func from(_ m: NetlinkMessage, operation: String) -> NetlinkError? {
        let r = NetlinkReader(m.payload[...])
        let code = r.i32(at: 0)
        if code == 0 { return nil }
        var text: String?
        if m.flags & NetlinkFlag.ackTLVs != 0 {
            // nlmsgerr: the error, then the request's header (and body, unless capped).
            let original = m.flags & NetlinkFlag.capped != 0 ? NetlinkMessage.headerSize : Int(r.u32(at: 4))
            let start = 4 + ((original + 3) & ~3)
            if start < m.payload.count {
                text = NetlinkAttributes(m.payload[start...]).string(1)   // NLMSGERR_ATTR_MSG
            }
        }
        return NetlinkError(operation: operation, errno: -code, message: text)
    }
}

public final class NetlinkSocket {
    public let fd: Int32
    private var sequence: UInt32 = 0

    private static let netlinkRoute: Int32 = 0
    private static let solNetlink: Int32 = 270
    private static let capAck: Int32 = 10
    private static let extAck: Int32 = 11

    /// A NETLINK_ROUTE socket in the caller's network namespace.
    public init() throws {
        fd = try check("socket", path: "netlink route") {
            socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NetlinkSocket.netlinkRoute)
        }
        // Kernel explanations with errors, without a copy of each request in them.
        var one: Int32 = 1
        _ = setsockopt(fd, NetlinkSocket.solNetlink, NetlinkSocket.extAck, &one, socklen_t(4))
        _ = setsockopt(fd, NetlinkSocket.solNetlink, NetlinkSocket.capAck, &one, socklen_t(4))
    }

    /// A socket of the network namespace at `namespacePath`: a socket stays in the
    /// namespace it was made in, so this thread enters it only for the socket() call.
    public static func inNamespace(_ namespacePath: String) throws -> NetlinkSocket {
        let own = try check("open", path: "/proc/thread-self/ns/net") { open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC) }
        defer { close(own) }
        let target = try check("open", path: namespacePath) { open(namespacePath, O_RDONLY | O_CLOEXEC) }
        defer { close(target) }
        try check("setns", path: namespacePath) { sl_setns(target, NamespaceKind.network.cloneFlag) }
        let made = Result { try NetlinkSocket() }
        if sl_setns(own, NamespaceKind.network.cloneFlag) != 0 {
            // Staying in the container's namespace would misdirect every later network call.
            let error = SyscallError("setns back to the runtime's network namespace")
            if case .success(let s) = made { close(s.fd) }
            throw error
        }
        return try made.get()
    }

    deinit { close(fd) }

    /// Sends one request (REQUEST and ACK added) and returns the answers before the final
    /// ack or, for a dump, NLMSG_DONE. A kernel error becomes a NetlinkError.
    public func request(type: UInt16, flags: UInt16 = 0, payload: [UInt8], operation: String) throws -> [NetlinkMessage] {
        sequence &+= 1
        let seq = sequence
        let message = NetlinkMessage(type: type, flags: flags | NetlinkFlag.request | NetlinkFlag.ack, sequence: seq, payload: payload)
        let bytes = message.encoded()
        let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        if sent != bytes.count { throw SyscallError("\(operation): netlink send") }
        var answers: [NetlinkMessage] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SyscallError("\(operation): netlink recv")
            }
            for m in try NetlinkMessage.decode(Array(buffer[0..<n])) where m.sequence == seq {
                switch m.type {
                case NetlinkMessageType.error:
                    if let error = NetlinkError.from(m, operation: operation) { throw error }
                    return answers
                case NetlinkMessageType.done:
                    // A dump that failed part way says so here.
                    let code = NetlinkReader(m.payload[...]).i32(at: 0)
                    if code < 0 { throw NetlinkError(operation: operation, errno: -code, message: nil) }
                    return answers
                default:
                    answers.append(m)
                }
            }
        }
    }
}
