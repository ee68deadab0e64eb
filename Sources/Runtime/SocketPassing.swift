// Handing fds to other programs over unix sockets: the pty master to `--console-socket`, the
// seccomp listener to the agent at `listenerPath`.
#if canImport(Glibc)
import Glibc
#endif
import CShims
import Linux
import OCISpec

enum UnixSocket {
    static func connect(path: String) throws -> Int32 {
        let fd = try check("socket", path: path) { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw RuntimeError("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result != 0 {
            let error = SyscallError("connect", path: path)
            close(fd)
            throw error
        }
        return fd
    }

    static func send(fd: Int32, data: [UInt8], over socket: Int32, path: String) throws {
        let n = data.withUnsafeBytes { sl_send_with_fd(socket, $0.baseAddress, $0.count, fd) }
        if n < 0 { throw SyscallError("sendmsg", path: path) }
    }
}

enum ConsoleSocket {
    /// Like runc: one message whose data is the pty's name and whose fd is the master.
    static func send(master: Int32, to path: String) throws {
        let socket = try UnixSocket.connect(path: path)
        defer { close(socket) }
        let number = sl_pty_number(master)
        let name = number >= 0 ? "/dev/pts/\(number)" : "/dev/ptmx"
        try UnixSocket.send(fd: master, data: Array(name.utf8), over: socket, path: path)
    }
}

enum SeccompAgent {
    /// The container process state (seccomp.md) with the listener fd, to `listenerPath`.
    static func send(listener: Int32, state: State, pid: Int32, seccomp: LinuxSeccomp?) throws {
        guard let path = seccomp?.listenerPath, !path.isEmpty else {
            throw RuntimeError("linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used")
        }
        let message = ContainerProcessState(ociVersion: state.ociVersion, fds: ["seccompFd"], pid: Int(pid),
                                            metadata: seccomp?.listenerMetadata, state: state)
        let socket = try context("linux.seccomp.listenerPath") { try UnixSocket.connect(path: path) }
        defer { close(socket) }
        try UnixSocket.send(fd: listener, data: Array(try encodeJSON(message).utf8), over: socket, path: path)
    }
}
