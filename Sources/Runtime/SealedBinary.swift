// The init process runs from a sealed in-memory copy of our own binary, so nothing in the
// container can open /proc/<init>/exe and overwrite the host's swiftlet (CVE-2019-5736).
#if canImport(Glibc)
import Glibc
#endif
import CShims
import Linux

enum SealedBinary {
    static let mfdCloexec: UInt32 = 1, mfdAllowSealing: UInt32 = 2
    static let addSeals: Int32 = 1033                    // F_ADD_SEALS
    static let allSeals: Int32 = 0x1 | 0x2 | 0x4 | 0x8   // SEAL, SHRINK, GROW, WRITE

    /// A close-on-exec fd of a sealed memfd holding /proc/self/exe.
    static func make() throws -> Int32 {
        let source = try check("open", path: "/proc/self/exe") { open("/proc/self/exe", O_RDONLY | O_CLOEXEC) }
        defer { close(source) }
        var st = stat()
        try check("fstat", path: "/proc/self/exe") { fstat(source, &st) }
        let memfd = try check("memfd_create", path: "swiftlet") { sl_memfd_create("swiftlet:init", mfdCloexec | mfdAllowSealing) }
        do {
            var remaining = Int(st.st_size)
            while remaining > 0 {
                let n = sendfile(memfd, source, nil, remaining)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SyscallError("sendfile", path: "/proc/self/exe")
                }
                if n == 0 { break }
                remaining -= n
            }
            try check("fcntl F_ADD_SEALS", path: "memfd") { sl_fcntl_int(memfd, addSeals, allSeals) }
        } catch {
            close(memfd)
            throw error
        }
        return memfd
    }
}
