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

    /// A close-on-exec fd of our own binary that no container can write through: the binary
    /// seen through a detached read-only overlayfs (no copy, ~0.1 ms), or a sealed memfd copy
    /// where overlayfs cannot be mounted (~8 ms for our 9 MB).
    static func make(scratchDirectory: String) throws -> Int32 {
        if let fd = try? overlay(scratchDirectory: scratchDirectory) { return fd }
        return try memfdCopy()
    }

    /// overlayfs wants two lower layers when there is no upper one: the binary's directory and
    /// an empty directory of ours.
    static func overlay(scratchDirectory: String) throws -> Int32 {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { throw SyscallError("readlink", path: "/proc/self/exe") }
        let exe = String(cString: buffer)
        guard exe.hasPrefix("/"), !exe.hasSuffix(" (deleted)") else { throw RuntimeError("binary path \(exe) is not usable") }
        let dir = FileSystem.parentDirectory(of: exe)
        let name = String(exe[exe.index(after: exe.lastIndex(of: "/")!)...])
        // overlayfs refuses layers inside one another (ELOOP): a state root under the binary's
        // directory (binary in /tmp, --root /tmp/x) needs the empty layer somewhere else.
        let candidates = [scratchDirectory, "/run/.swiftlet-seal", "/tmp/.swiftlet-seal", "/var/tmp/.swiftlet-seal"]
        guard let empty = candidates.first(where: { !overlaps($0, dir) }) else {
            throw RuntimeError("no directory for the overlayfs seal outside \(dir)")
        }
        if mkdir(empty, 0o700) != 0 && errno != EEXIST { throw SyscallError("mkdir", path: empty) }
        let lower = escapeLowerDir(dir) + ":" + escapeLowerDir(empty)
        let fd = sl_overlay_open_readonly(lower, name)
        if fd < 0 { throw SyscallError("overlayfs seal", path: exe) }
        return fd
    }

    /// Lexically, whether one path is the other or inside it.
    static func overlaps(_ a: String, _ b: String) -> Bool {
        let x = FileSystem.normalize(FileSystem.absolute(a)), y = FileSystem.normalize(b)
        func inside(_ p: String, _ q: String) -> Bool { p == q || q == "/" || p.hasPrefix(q + "/") }
        return inside(x, y) || inside(y, x)
    }

    static func escapeLowerDir(_ path: String) -> String {
        var out = ""
        for c in path {
            if c == "\\" || c == ":" || c == "," { out.append("\\") }
            out.append(c)
        }
        return out
    }

    static func memfdCopy() throws -> Int32 {
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
