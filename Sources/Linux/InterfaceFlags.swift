// Bringing an interface up with SIOCSIFFLAGS (netdevice(7)): two ioctls, where rtnetlink
// takes a lookup and a request/ack round trip. Used for a new namespace's loopback.
#if canImport(Glibc)
import Glibc
#endif
import CShims

public enum InterfaceFlags {
    /// Sets IFF_UP on `name` in the caller's network namespace.
    public static func bringUp(_ name: String) throws {
        let sock = try check("socket", path: "AF_INET") { socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
        defer { close(sock) }
        var request = ifreq()
        let nameBytes = Array(name.utf8)
        guard nameBytes.count < Int(IFNAMSIZ) else { throw SyscallError("ioctl SIOCGIFFLAGS", path: name, errno: EINVAL) }
        withUnsafeMutableBytes(of: &request.ifr_ifrn) { raw in
            for (i, byte) in nameBytes.enumerated() { raw[i] = byte }
        }
        try check("ioctl SIOCGIFFLAGS", path: name) { sl_ioctl_ptr(sock, UInt(SIOCGIFFLAGS), &request) }
        if request.ifr_ifru.ifru_flags & Int16(IFF_UP) != 0 { return }
        request.ifr_ifru.ifru_flags |= Int16(IFF_UP)
        try check("ioctl SIOCSIFFLAGS", path: name) { sl_ioctl_ptr(sock, UInt(SIOCSIFFLAGS), &request) }
    }
}
