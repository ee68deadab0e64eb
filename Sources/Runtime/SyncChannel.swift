// The sync pipe between the runtime parent and its init process: one typed message enum over
// a stream socketpair, length-framed, with an fd attached where a message carries one
// (console master, seccomp listener). Each side says which messages it accepts next, so a
// message out of order is a protocol error instead of a hang.
#if canImport(Glibc)
import Glibc
#endif
import CShims
import Linux

public enum SyncMessage: Equatable {
    /// parent → init, after the spec: everything else init needs, as JSON (InitBootstrap).
    case bootstrap([UInt8])
    /// parent → init, first: the container's config as JSON; for create the bytes of
    /// config.json as read (no second encoding), sent before the parent has validated them so
    /// init decodes while the parent checks.
    case spec([UInt8])
    /// parent → init, after the bootstrap (bootstrap.passedFDsFollow of them, read by stage 1
    /// before it clones): the fd attached is the one the text names (the exec fifo, an
    /// idmapped mount), made after init was spawned.
    case passedFD(String)
    /// parent → init, right after bootstrap when the config has seccomp: the BPF program,
    /// raw (as JSON numbers it would cost init a slow decode).
    case seccompProgram([UInt8])
    /// parent → init: the step init waited for is done (cgroup joined, ids mapped, hooks run).
    case proceed
    /// stage 1 → parent: the pid (host view) of the container's init, 4 bytes little-endian.
    case childPid(Int32)
    /// init → parent: wait until I am in the container's cgroup (the parent moves init
    /// there while init sets up its rootfs, since the first cgroup migration costs a whole RCU
    /// grace period).
    case needCgroup
    /// init → parent: run prestart and createRuntime hooks now.
    case runRuntimeHooks
    /// init → parent: the fd attached is the pty master (`process.terminal`).
    case consoleMaster
    /// init → parent: the fd attached is the seccomp notify listener.
    case seccompListener
    /// init → parent: set up, waiting at the start barrier.
    case ready
    /// init → parent: a stage failed; the text says which and why.
    case failure(String)

    public enum Kind: UInt8 {
        case bootstrap = 1, proceed, childPid, runRuntimeHooks, consoleMaster,
             seccompListener, ready, failure, needCgroup, seccompProgram, spec, passedFD
    }

    /// The kinds a receiver accepts next, a bit each: a Set<Kind> had its collection types'
    /// metadata made at run time in both processes.
    public struct Kinds {
        let bits: UInt32

        public init(_ kind: Kind) { bits = 1 << UInt32(kind.rawValue) }
        private init(bits: UInt32) { self.bits = bits }

        public static func | (kinds: Kinds, kind: Kind) -> Kinds { Kinds(bits: kinds.bits | Kinds(kind).bits) }

        public func contains(_ kind: Kind) -> Bool { bits & Kinds(kind).bits != 0 }
    }

    public var kind: Kind {
        switch self {
        case .bootstrap: .bootstrap
        case .spec: .spec
        case .passedFD: .passedFD
        case .proceed: .proceed
        case .childPid: .childPid
        case .needCgroup: .needCgroup
        case .seccompProgram: .seccompProgram
        case .runRuntimeHooks: .runRuntimeHooks
        case .consoleMaster: .consoleMaster
        case .seccompListener: .seccompListener
        case .ready: .ready
        case .failure: .failure
        }
    }

    var payload: [UInt8] {
        switch self {
        case .bootstrap(let bytes): return bytes
        case .spec(let bytes): return bytes
        case .passedFD(let name): return Array(name.utf8)
        case .seccompProgram(let bytes): return bytes
        // Four bytes, little-endian: stage 1 writes this frame from assembly (sl_clone3_shared_then_exit).
        case .childPid(let pid): return withUnsafeBytes(of: pid.littleEndian) { Array($0) }
        case .failure(let text): return Array(text.utf8)
        default: return []
        }
    }

    init(kind: Kind, payload: [UInt8]) throws {
        switch kind {
        case .bootstrap: self = .bootstrap(payload)
        case .spec: self = .spec(payload)
        case .passedFD: self = .passedFD(String(decoding: payload, as: UTF8.self))
        case .proceed: self = .proceed
        case .childPid:
            guard payload.count == 4 else { throw RuntimeError("sync: bad pid in childPid message") }
            let pid = Int32(payload[0]) | Int32(payload[1]) << 8 | Int32(payload[2]) << 16 | Int32(payload[3]) << 24
            guard pid > 0 else { throw RuntimeError("sync: bad pid in childPid message") }
            self = .childPid(pid)
        case .needCgroup: self = .needCgroup
        case .seccompProgram: self = .seccompProgram(payload)
        case .runRuntimeHooks: self = .runRuntimeHooks
        case .consoleMaster: self = .consoleMaster
        case .seccompListener: self = .seccompListener
        case .ready: self = .ready
        case .failure: self = .failure(String(decoding: payload, as: UTF8.self))
        }
    }
}

public struct SyncChannel {
    public let fd: Int32

    public init(fd: Int32) { self.fd = fd }

    /// A connected pair; both ends close-on-exec (the child's end is moved into place by spawn).
    public static func pair() throws -> (parent: SyncChannel, child: SyncChannel) {
        var fds: [Int32] = [-1, -1]
        try check("socketpair") { socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) }
        return (SyncChannel(fd: fds[0]), SyncChannel(fd: fds[1]))
    }

    public func send(_ message: SyncMessage, fd attached: Int32 = -1) throws {
        let payload = message.payload
        var frame: [UInt8] = []
        frame.reserveCapacity(5 + payload.count)
        let length = UInt32(payload.count)
        frame += [UInt8(length & 0xff), UInt8((length >> 8) & 0xff), UInt8((length >> 16) & 0xff), UInt8(length >> 24)]
        frame.append(message.kind.rawValue)
        // The fd rides on the first byte; the rest of a long frame follows as plain writes.
        let first = frame.withUnsafeBytes { sl_send_with_fd(self.fd, $0.baseAddress, 5, attached) }
        if first != 5 { throw SyscallError("sendmsg", path: "sync pipe") }
        if !payload.isEmpty { try sendAll(payload) }
    }

    /// send(2) with MSG_NOSIGNAL: a peer gone is an EPIPE error, not a SIGPIPE that kills us.
    private func sendAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(self.fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SyscallError("send", path: "sync pipe")
            }
            offset += n
        }
    }

    /// Receives one message; nil at end of stream (the other side is gone).
    public func receive() throws -> (SyncMessage, Int32)? {
        var header = [UInt8](repeating: 0, count: 5)
        var attached: Int32 = -1
        let n = header.withUnsafeMutableBytes { sl_recv_with_fd(self.fd, $0.baseAddress, 5, &attached) }
        if n < 0 { throw SyscallError("recvmsg", path: "sync pipe") }
        if n == 0 { return nil }
        if n < 5 { try readExactly(into: &header, from: n) }
        let length = Int(header[0]) | Int(header[1]) << 8 | Int(header[2]) << 16 | Int(header[3]) << 24
        guard let kind = SyncMessage.Kind(rawValue: header[4]) else {
            throw RuntimeError("sync: unknown message type \(header[4])")
        }
        var payload = [UInt8](repeating: 0, count: length)
        if length > 0 { try readExactly(into: &payload, from: 0) }
        return (try SyncMessage(kind: kind, payload: payload), attached)
    }

    /// Receives one message and checks it is one the caller expects now; a `failure` from the
    /// other side becomes the thrown error.
    public func expect(_ kind: SyncMessage.Kind, while stage: String) throws -> (SyncMessage, Int32) {
        try expect(SyncMessage.Kinds(kind), while: stage)
    }

    public func expect(_ allowed: SyncMessage.Kinds, while stage: String) throws -> (SyncMessage, Int32) {
        guard let (message, attached) = try receive() else {
            throw RuntimeError("\(stage): init process exited before it was ready")
        }
        if case .failure(let text) = message { throw RuntimeError(text) }
        guard allowed.contains(message.kind) else {
            if attached >= 0 { Glibc.close(attached) }
            throw RuntimeError("sync: unexpected \(message.kind) message during \(stage)")
        }
        return (message, attached)
    }

    private func readExactly(into buffer: inout [UInt8], from start: Int) throws {
        var offset = start
        while offset < buffer.count {
            let n = buffer.withUnsafeMutableBytes { read(self.fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SyscallError("read", path: "sync pipe")
            }
            if n == 0 { throw RuntimeError("sync: pipe closed in the middle of a message") }
            offset += n
        }
    }

    public func close() { Glibc.close(fd) }
}
