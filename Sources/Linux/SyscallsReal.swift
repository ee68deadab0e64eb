// MountSyscalls on the running kernel.
#if canImport(Glibc)
import Glibc
#endif
import CShims

public struct RealSyscalls: MountSyscalls {
    public init() {}

    public func mount(source: String?, target: String, type: String?, flags: UInt, data: String?) throws {
        try check("mount", path: target) {
            Glibc.mount(source, target, type, flags, data)
        }
    }

    public func unmount(_ target: String, flags: Int32) throws {
        try check("umount2", path: target) { umount2(target, flags) }
    }

    public func mountSetattr(dirfd: Int32, path: String, flags: UInt32, attributes: MountAttributes) throws {
        try check("mount_setattr", path: path) {
            swiftlet_mount_setattr(dirfd, path, flags, attributes.set, attributes.clear,
                                   attributes.propagation, attributes.usernsFD)
        }
    }

    public func pivotRoot(newRoot: String, putOld: String) throws {
        try check("pivot_root", path: newRoot) { swiftlet_pivot_root(newRoot, putOld) }
    }

    public func openat2(_ dirfd: Int32, _ path: String, flags: Int32, mode: UInt32, resolve: UInt64) throws -> Int32 {
        try check("openat2", path: path) {
            swiftlet_openat2(dirfd, path, UInt64(UInt32(bitPattern: flags)), UInt64(mode), resolve)
        }
    }

    public func openat(_ dirfd: Int32, _ path: String, flags: Int32, mode: UInt32) throws -> Int32 {
        try check("openat", path: path) { Glibc.openat(dirfd, path, flags, mode_t(mode)) }
    }

    public func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    public func dup3(_ fd: Int32, _ target: Int32) throws {
        try check("dup3", path: "fd \(target)") { swiftlet_dup3(fd, target, 0) }
    }

    public func readlinkat(_ dirfd: Int32, _ path: String) throws -> String {
        var size = 256
        while true {
            var buffer = [CChar](repeating: 0, count: size)
            let count = try check("readlink", path: path) {
                Int32(Glibc.readlinkat(dirfd, path, &buffer, size))
            }
            if Int(count) < size {
                return String(decoding: buffer[0..<Int(count)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            size *= 4
        }
    }

    public func mkdirat(_ dirfd: Int32, _ path: String, mode: UInt32) throws {
        try check("mkdirat", path: path) { Glibc.mkdirat(dirfd, path, mode_t(mode)) }
    }

    public func mknodat(_ dirfd: Int32, _ path: String, mode: UInt32, device: UInt64) throws {
        try check("mknodat", path: path) { Glibc.mknodat(dirfd, path, mode_t(mode), dev_t(device)) }
    }

    public func symlinkat(_ target: String, _ dirfd: Int32, _ path: String) throws {
        try check("symlinkat", path: path) { Glibc.symlinkat(target, dirfd, path) }
    }

    public func unlinkat(_ dirfd: Int32, _ path: String, flags: Int32) throws {
        try check("unlinkat", path: path) { Glibc.unlinkat(dirfd, path, flags) }
    }

    public func fstatat(_ dirfd: Int32, _ path: String, flags: Int32) throws -> FileStat {
        var st = Glibc.stat()
        try check("fstatat", path: path.isEmpty ? "fd \(dirfd)" : path) {
            Glibc.fstatat(dirfd, path, &st, flags)
        }
        return FileStat(mode: st.st_mode, uid: st.st_uid, gid: st.st_gid, device: UInt64(st.st_dev),
                        inode: UInt64(st.st_ino), rdev: UInt64(st.st_rdev), size: Int64(st.st_size))
    }

    public func statfs(_ path: String) throws -> FilesystemStat {
        var type: Int64 = 0
        var flags: UInt64 = 0
        try check("statfs", path: path) { swiftlet_statfs(path, &type, &flags) }
        return FilesystemStat(type: type, flags: flags)
    }

    public func fchownat(_ dirfd: Int32, _ path: String, uid: UInt32, gid: UInt32, flags: Int32) throws {
        try check("fchownat", path: path.isEmpty ? "fd \(dirfd)" : path) {
            Glibc.fchownat(dirfd, path, uid, gid, flags)
        }
    }

    public func fchmodat(_ dirfd: Int32, _ path: String, mode: UInt32) throws {
        try check("fchmodat", path: path) { Glibc.fchmodat(dirfd, path, mode_t(mode), 0) }
    }

    public func fchdir(_ fd: Int32) throws {
        try check("fchdir", path: "fd \(fd)") { Glibc.fchdir(fd) }
    }

    public func chdir(_ path: String) throws {
        try check("chdir", path: path) { Glibc.chdir(path) }
    }

    public func chroot(_ path: String) throws {
        try check("chroot", path: path) { Glibc.chroot(path) }
    }

    public func readFile(_ path: String) throws -> String {
        let fd = try check("open", path: path) { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
        defer { _ = Glibc.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = try check("read", path: path) {
                Int32(chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) })
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<Int(count)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public func listDirectory(_ fd: Int32) throws -> [DirectoryEntry] {
        // fdopendir takes ownership of the fd it is given, so give it a readable copy.
        let readable = try check("openat", path: "fd \(fd)") {
            Glibc.openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        }
        guard let dir = fdopendir(readable) else {
            let error = SyscallError("fdopendir", path: "fd \(fd)")
            _ = Glibc.close(readable)
            throw error
        }
        defer { closedir(dir) }
        var entries: [DirectoryEntry] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { entries.append(DirectoryEntry(name: name)) }
        }
        return entries
    }

    public func copyContents(from source: Int32, to destination: Int32) throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = try check("read", path: "fd \(source)") {
                Int32(chunk.withUnsafeMutableBytes { Glibc.read(source, $0.baseAddress, $0.count) })
            }
            if count == 0 { return }
            var written = 0
            while written < Int(count) {
                let n = try check("write", path: "fd \(destination)") {
                    Int32(chunk.withUnsafeBytes {
                        Glibc.write(destination, $0.baseAddress! + written, Int(count) - written)
                    })
                }
                written += Int(n)
            }
        }
    }
}
