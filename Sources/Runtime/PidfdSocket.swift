// `--pidfd-socket`: a pidfd of the container's process sent to a unix socket, so a
// supervisor can signal and wait for exactly that process even after its pid is reused.
#if canImport(Glibc)
import Glibc
#endif
import CShims
import Linux

enum PidfdSocket {
    /// One message, like runc's: the data names the kind of process ("standard" for a
    /// container's init, "setns" for exec), SCM_RIGHTS carries the pidfd.
    static func send(pid: Int32, kind: String, to path: String) throws {
        try context("--pidfd-socket \(path)") {
            let pidfd = try check("pidfd_open", path: String(pid)) { sl_pidfd_open(pid, 0) }
            defer { close(pidfd) }
            let socket = try UnixSocket.connect(path: path)
            defer { close(socket) }
            try UnixSocket.send(fd: pidfd, data: Array(kind.utf8), over: socket, path: path)
        }
    }
}
