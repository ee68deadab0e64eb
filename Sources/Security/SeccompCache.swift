// Compiled programs kept on disk between runtime invocations. libseccomp needs 8-16 ms (release
// build, this machine) to turn docker's or podman's default profile into BPF, a large share of
// a container start, and engines send the same profile to every container.
//
// An entry is found by a hash but only used when its stored key, the whole canonical input,
// matches byte for byte, so a hash collision or a stale entry can only cost a recompile, never
// load the wrong filter. The key holds everything the output depends on: the profile (without
// the listener path and metadata, which do not reach the BPF), the libseccomp version, the
// native architecture, the kernel (flag support decides the implied SPEC_ALLOW).
import CSeccomp
import Glibc
import Linux
import OCISpec

public struct SeccompCache {
    public let directory: String
    /// Part of every key: the runtime's version and commit, so a new build never uses what an
    /// older compiler wrote into a persistent root.
    public let salt: String

    /// `directory` is created (0700) on first store; it should live in the runtime's own root
    /// (e.g. `/run/swiftlet/seccomp-cache`), writable by the runtime's user alone.
    public init(directory: String, salt: String) {
        self.directory = directory
        self.salt = salt
    }

    /// The program for `spec`, from the cache when an entry matches, else compiled and stored.
    /// A cache that cannot be read or written only costs the compile.
    public func program(for spec: LinuxSeccomp) throws -> SeccompProgram {
        if SeccompPlan.isDisabled(spec) { return .none }
        let key = try Self.key(for: spec, salt: salt)
        let path = directory + "/" + Self.hexHash(key)
        if let cached = Self.load(path, key: key) { return cached }
        let program = try SeccompCompiler.compile(spec)
        store(program, key: key, at: path)
        return program
    }

    static func key(for spec: LinuxSeccomp, salt: String) throws -> [UInt8] {
        var profile = spec
        profile.listenerPath = nil
        profile.listenerMetadata = nil
        var name = utsname()
        uname(&name)
        let kernel = withUnsafeBytes(of: name.release) { cString($0) } + " " + withUnsafeBytes(of: name.version) { cString($0) }
        let header = "swiftlet seccomp cache 1\n\(salt)\nlibseccomp \(SecurityFeatures.libseccompVersion)\n"
            + "native 0x\(String(seccomp_arch_native(), radix: 16))\nkernel \(kernel)\n"
        return Array(header.utf8) + JSONWriter.bytes(profile.json)
    }

    /// 64-bit FNV-1a: only names the file; the stored key decides.
    static func hexHash(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    // Entry: "SCC1", key length (u32 LE), key, SeccompProgram.serialized.
    private static let magic: [UInt8] = Array("SCC1".utf8)

    static func load(_ path: String, key: [UInt8]) -> SeccompProgram? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if fd < 0 { return nil }
        defer { close(fd) }
        var info = stat()
        // Only entries this user wrote and nobody else can change.
        guard fstat(fd, &info) == 0, info.st_uid == geteuid(), info.st_mode & 0o022 == 0,
              info.st_size > 8, info.st_size < 1 << 22 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var done = 0
        while done < bytes.count {
            let got = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, $0.count - done) }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { return nil }
            done += got
        }
        guard Array(bytes[0..<4]) == magic else { return nil }
        let keyLength = Int(bytes[4]) | Int(bytes[5]) << 8 | Int(bytes[6]) << 16 | Int(bytes[7]) << 24
        guard keyLength == key.count, 8 + keyLength <= bytes.count, bytes[8..<(8 + keyLength)].elementsEqual(key) else { return nil }
        return try? SeccompProgram(serialized: Array(bytes[(8 + keyLength)...]))
    }

    /// A reader sees a whole entry or none. The entry is written unnamed (O_TMPFILE) and only
    /// linked in once complete, so a runtime killed while storing leaves nothing behind;
    /// where the filesystem has no O_TMPFILE, a temp file and rename.
    func store(_ program: SeccompProgram, key: [UInt8], at path: String) {
        if mkdir(directory, 0o700) != 0 && errno != EEXIST { return }
        var bytes = Self.magic
        let length = UInt32(key.count)
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: length >> UInt32(shift))) }
        bytes += key
        bytes += program.serialized
        let unnamed = open(directory, Self.oTmpfile | O_WRONLY | O_CLOEXEC, 0o600)
        if unnamed >= 0 {
            defer { close(unnamed) }
            guard Self.writeAll(unnamed, bytes) else { return }
            let source = "/proc/self/fd/\(unnamed)"
            if linkat(AT_FDCWD, source, AT_FDCWD, path, AT_SYMLINK_FOLLOW) != 0 && errno == EEXIST {
                // A stale entry under the same hash (or a concurrent writer's): replace it.
                unlink(path)
                _ = linkat(AT_FDCWD, source, AT_FDCWD, path, AT_SYMLINK_FOLLOW)
            }
            return
        }
        let temporary = path + ".tmp\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if fd < 0 { return }
        let written = Self.writeAll(fd, bytes)
        close(fd)
        if !written || rename(temporary, path) != 0 { unlink(temporary) }
    }

    /// Linux's O_TMPFILE (__O_TMPFILE | O_DIRECTORY); Glibc's macro does not import.
    static let oTmpfile: Int32 = 0o20000000 | O_DIRECTORY

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            done += n
        }
        return true
    }
}

private func cString(_ bytes: UnsafeRawBufferPointer) -> String {
    String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
}
