// The receiving end of `--console-socket`: a unix socket the runtime connects to and sends the
// pty master over with SCM_RIGHTS, as conmon and containerd-shim do.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

final class ConsoleSocket {
    let path: String
    private let listener: Int32

    init(path: String) throws {
        self.path = path
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else { throw SpawnError(description: "socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        precondition(bytes.count < MemoryLayout.size(ofValue: address.sun_path), "socket path too long")
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, listen(listener, 4) == 0 else {
            let message = String(cString: strerror(errno))
            close(listener)
            throw SpawnError(description: "bind/listen \(path): \(message)")
        }
    }

    deinit { close(listener) }

    /// Accepts one connection and returns the fd it carries (and the message's bytes, which
    /// runc fills with the terminal's name).
    func receiveFD(timeout: Double = 10) throws -> (fd: Int32, payload: String) {
        var pollFD = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        guard poll(&pollFD, 1, Int32(timeout * 1000)) == 1 else {
            throw SpawnError(description: "nobody connected to the console socket within \(timeout)s")
        }
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { throw SpawnError(description: "accept: \(String(cString: strerror(errno)))") }
        _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
        defer { close(connection) }

        var payload = [UInt8](repeating: 0, count: 4096)
        // cmsghdr (len: size_t, level: int, type: int) followed by one int, padded to 8 bytes.
        let headerSize = MemoryLayout<Int>.size + 2 * MemoryLayout<Int32>.size
        var control = [UInt8](repeating: 0, count: headerSize + 8)
        var pollIn = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
        guard poll(&pollIn, 1, Int32(timeout * 1000)) == 1 else {
            throw SpawnError(description: "no message on the console socket within \(timeout)s")
        }
        let received: Int = payload.withUnsafeMutableBytes { payloadBytes in
            control.withUnsafeMutableBytes { controlBytes in
                var vector = iovec(iov_base: payloadBytes.baseAddress, iov_len: payloadBytes.count)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlBytes.baseAddress
                    message.msg_controllen = controlBytes.count
                    return recvmsg(connection, &message, Int32(MSG_CMSG_CLOEXEC))
                }
            }
        }
        guard received >= 0 else { throw SpawnError(description: "recvmsg: \(String(cString: strerror(errno)))") }
        let (length, level, type, fd): (Int, Int32, Int32, Int32) = control.withUnsafeBytes { raw in
            (raw.load(as: Int.self), raw.load(fromByteOffset: MemoryLayout<Int>.size, as: Int32.self),
             raw.load(fromByteOffset: MemoryLayout<Int>.size + 4, as: Int32.self),
             raw.load(fromByteOffset: headerSize, as: Int32.self))
        }
        guard length >= headerSize + 4, level == SOL_SOCKET, type == Int32(SCM_RIGHTS) else {
            throw SpawnError(description: "the console socket message carried no fd (cmsg len \(length) level \(level) type \(type))")
        }
        let text = String(decoding: payload.prefix(received).prefix { $0 != 0 }, as: UTF8.self)
        return (fd, text)
    }

    /// Reads from `fd` until EOF/EIO (the slave side closed) or the timeout.
    static func readAll(fd: Int32, timeout: Double = 10) -> String {
        var output: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pollFD, 1, 100)
            if ready < 0 && errno != EINTR { break }
            if ready <= 0 { continue }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            output += buffer.prefix(n)
        }
        return String(decoding: output, as: UTF8.self)
    }
}
