// Resolving and creating paths inside a container's root filesystem without ever leaving it.
//
// A path from config.json is untrusted: the image may hold symlinks such as `/mnt -> /etc`
// pointing out of the rootfs, and a path walked as a host string follows them to the host
// (CVE-2021-30465 and friends). So every lookup goes through openat2(RESOLVE_IN_ROOT) from an
// O_PATH fd of the root, where the kernel resolves absolute symlinks and `..` as if the rootfs
// were `/`; missing directories are made one component at a time with mkdirat under the fd of
// their parent; and what comes back is an O_PATH fd that callers mount on through
// /proc/self/fd/N, so no path string is resolved again after the check.

#if canImport(Glibc)
import Glibc
#endif

/// Why a path inside the root could not be used, beyond a plain syscall failure.
public struct PathInRootError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let reason: String
    public init(path: String, reason: String) { self.path = path; self.reason = reason }
    public var description: String { "\(path): \(reason)" }
}

public struct RootHandle {
    public let fd: Int32
    /// The real (symlink-free) absolute path of the root, as the kernel reports it.
    public let path: String
    let sys: MountSyscalls

    static let inRoot = ResolveFlag.inRoot | ResolveFlag.noMagicLinks
    static let beneathNoSymlinks = ResolveFlag.beneath | ResolveFlag.noSymlinks | ResolveFlag.noMagicLinks

    /// Opens `path` (a host path, trusted) as the root.
    public init(opening path: String, syscalls: MountSyscalls) throws {
        let fd = try syscalls.openat(AtFlag.fdcwd, path,
                                     flags: OpenFlag.path | OpenFlag.directory | OpenFlag.closeOnExec, mode: 0)
        do {
            self.path = try syscalls.pathOf(fd)
        } catch {
            syscalls.close(fd)
            throw error
        }
        self.fd = fd
        self.sys = syscalls
    }

    public func close() { sys.close(fd) }

    /// Opens an existing path inside the root. `flags` defaults to O_PATH.
    public func open(_ unsafePath: String, flags: Int32 = OpenFlag.path, mode: UInt32 = 0) throws -> Int32 {
        let relative = LexicalPath.relative(unsafePath)
        return try sys.openat2(fd, relative.isEmpty ? "." : relative,
                               flags: flags | OpenFlag.closeOnExec, mode: mode, resolve: Self.inRoot)
    }

    /// Opens an existing path inside the root like open(_:), and says where it is inside the
    /// root when that is known without asking the kernel: a path with no symlink on the way
    /// (RESOLVE_NO_SYMLINKS succeeds) is exactly its cleaned self. With a symlink (ELOOP) it
    /// is opened the ordinary way and `inside` is nil; insidePath(of:for:) then asks (a readlink
    /// of /proc/self/fd/N, the dearest step of a mount point's lookup).
    public func openLocated(_ unsafePath: String, flags: Int32 = OpenFlag.path) throws -> (fd: Int32, inside: String?) {
        let relative = LexicalPath.relative(unsafePath)
        do {
            let fd = try sys.openat2(fd, relative.isEmpty ? "." : relative, flags: flags | OpenFlag.closeOnExec,
                                     mode: 0, resolve: Self.inRoot | ResolveFlag.noSymlinks)
            return (fd, "/" + relative)
        } catch let error as SyscallError where error.errno == ELOOP {
            return (try open(unsafePath, flags: flags), nil)
        }
    }

    /// Opens the directory at `unsafePath`, creating the missing components (mode `mode`).
    /// Returns an O_PATH fd. A symlink whose target is missing gets that target created,
    /// inside the root: `/mnt -> /srv/data` makes `<root>/srv/data`.
    /// `knownMissing`: the caller's own open just said ENOENT, so the whole path is not opened
    /// again first.
    public func mkdirAll(_ unsafePath: String, mode: UInt32 = 0o755, knownMissing: Bool = false) throws -> Int32 {
        try mkdirAllLocated(unsafePath, mode: mode, knownMissing: knownMissing).fd
    }

    /// mkdirAll, also saying where the directory is inside the root when no symlink was
    /// followed on the way (see openLocated); nil otherwise.
    public func mkdirAllLocated(_ unsafePath: String, mode: UInt32 = 0o755,
                                knownMissing: Bool = false) throws -> (fd: Int32, inside: String?) {
        if !knownMissing {
            do {
                return try openLocated(unsafePath, flags: OpenFlag.path | OpenFlag.directory)
            } catch let error as SyscallError where error.errno == ENOENT {
            } catch let error as SyscallError where error.errno == ENOTDIR {
                throw PathInRootError(path: unsafePath, reason: "a component is not a directory")
            }
        }
        if let made = try makeLastUnderLexicalParent(unsafePath, mode: mode) { return made }
        let walk = try walkToMissing(unsafePath)
        let fd = try makeDirectories(walk.missing, under: walk.deepest, mode: mode, for: unsafePath)
        return (fd, walk.resolvedLexically ? LexicalPath.clean("/" + LexicalPath.relative(unsafePath)) : nil)
    }

    /// The common case of mkdirAll, one missing directory whose parent is reached without a
    /// symlink (`/dev/pts` in a fresh /dev): made there without walking from the root. nil
    /// when that is not the case (no such parent, a symlink on the way, or the name taken,
    /// say by a dangling symlink): the full walk decides then.
    func makeLastUnderLexicalParent(_ unsafePath: String, mode: UInt32) throws -> (fd: Int32, inside: String?)? {
        let parts = LexicalPath.components(unsafePath)
        guard let name = parts.last else { return nil }
        let parentPath = joinStrings(parts.dropLast(), separator: "/")
        guard let parent = try? openLocated(parentPath, flags: OpenFlag.path | OpenFlag.directory) else { return nil }
        defer { sys.close(parent.fd) }
        guard let parentInside = parent.inside else { return nil }
        do {
            try sys.mkdirat(parent.fd, name, mode: mode)
        } catch let error as SyscallError where error.errno == EEXIST || error.errno == ENOENT {
            return nil
        }
        let fd = try sys.openat2(parent.fd, name, flags: OpenFlag.path | OpenFlag.directory | OpenFlag.closeOnExec,
                                 mode: 0, resolve: Self.beneathNoSymlinks)
        return (fd, LexicalPath.join(parentInside, name))
    }

    /// Walks `unsafePath` one component at a time from the root, following symlinks the way
    /// RESOLVE_IN_ROOT does (an absolute target restarts at the root, `..` stops at it), up to
    /// the first component that does not exist. Returns an O_PATH fd of the deepest existing
    /// directory and the components still missing below it.
    /// `resolvedLexically`: no symlink and no `..` was met, so the path is its cleaned self.
    func walkToMissing(_ unsafePath: String) throws -> (deepest: Int32, missing: [String], resolvedLexically: Bool) {
        var pending = LexicalPath.components(unsafePath)
        var resolved: [String] = []
        var current = try sys.openat2(fd, ".", flags: OpenFlag.path | OpenFlag.directory | OpenFlag.closeOnExec,
                                      mode: 0, resolve: Self.inRoot)
        var links = 0
        var lexical = true
        while !pending.isEmpty {
            let name = pending.removeFirst()
            if name == ".." {
                lexical = false
                // `resolved` holds real directories only, so their parent is lexical.
                if !resolved.isEmpty { resolved.removeLast() }
                let parent = try open(joinStrings(resolved, separator: "/"), flags: OpenFlag.path | OpenFlag.directory)
                sys.close(current)
                current = parent
                continue
            }
            let st: FileStat
            do {
                st = try sys.fstatat(current, name, flags: AtFlag.symlinkNoFollow)
            } catch let error as SyscallError where error.errno == ENOENT {
                return (current, [name] + pending, lexical)
            } catch {
                sys.close(current)
                throw error
            }
            if st.isSymlink {
                lexical = false
                links += 1
                let target: String
                do {
                    guard links <= 40 else { throw SyscallError("resolve", path: unsafePath, errno: ELOOP) }
                    target = try sys.readlinkat(current, name)
                } catch {
                    sys.close(current)
                    throw error
                }
                if target.hasPrefix("/") {
                    resolved = []
                    let top = try open("", flags: OpenFlag.path | OpenFlag.directory)
                    sys.close(current)
                    current = top
                }
                pending = target.split(separator: "/").map(String.init).filter { $0 != "." && !$0.isEmpty } + pending
                continue
            }
            guard st.isDirectory else {
                sys.close(current)
                // The last component exists and is no directory: there is nothing to create.
                if pending.isEmpty { throw SyscallError("create", path: unsafePath, errno: EEXIST) }
                throw PathInRootError(path: unsafePath, reason: "\"\(LexicalPath.clean((resolved + [name]).joined(separator: "/")))\" is not a directory")
            }
            let next: Int32
            do {
                next = try sys.openat2(current, name, flags: OpenFlag.path | OpenFlag.directory | OpenFlag.closeOnExec,
                                       mode: 0, resolve: Self.beneathNoSymlinks)
            } catch {
                sys.close(current)
                throw error
            }
            sys.close(current)
            current = next
            resolved.append(name)
        }
        return (current, [], lexical)
    }

    /// Creates `names` as nested directories under `parent` (an fd this call takes over) and
    /// returns an O_PATH fd of the last. Each new directory is opened with RESOLVE_BENEATH and
    /// no symlinks: what was just made must be what is entered.
    func makeDirectories(_ names: [String], under parent: Int32, mode: UInt32, for unsafePath: String) throws -> Int32 {
        var current = parent
        for name in names {
            guard name != ".." else {
                sys.close(current)
                throw PathInRootError(path: unsafePath, reason: "\"..\" below a missing directory")
            }
            do {
                try sys.mkdirat(current, name, mode: mode)
            } catch let error as SyscallError where error.errno == EEXIST {
                // Made meanwhile: the open below checks it is a directory.
            } catch {
                sys.close(current)
                throw error
            }
            let next: Int32
            do {
                next = try sys.openat2(current, name, flags: OpenFlag.path | OpenFlag.directory | OpenFlag.closeOnExec,
                                       mode: 0, resolve: Self.beneathNoSymlinks)
            } catch {
                sys.close(current)
                throw error
            }
            sys.close(current)
            current = next
        }
        return current
    }

    /// The directory that would hold `unsafePath` (created if missing) and the last component's
    /// name, for calls that create that last component themselves (mknodat, symlinkat).
    public func parentAndName(_ unsafePath: String, mode: UInt32 = 0o755) throws -> (dirfd: Int32, name: String) {
        let (dirfd, name, _) = try parentAndNameLocated(unsafePath, mode: mode)
        return (dirfd, name)
    }

    /// parentAndName, also saying where the parent is inside the root when no symlink was
    /// followed (see openLocated); nil otherwise.
    public func parentAndNameLocated(_ unsafePath: String, mode: UInt32 = 0o755) throws
        -> (dirfd: Int32, name: String, parentInside: String?) {
        let parts = LexicalPath.components(unsafePath)
        guard let name = parts.last else {
            throw PathInRootError(path: unsafePath, reason: "is the root itself")
        }
        let parent = try mkdirAllLocated(joinStrings(parts.dropLast(), separator: "/"), mode: mode)
        return (parent.fd, name, parent.inside)
    }

    /// Creates an empty file at `unsafePath` (directories included) and returns an O_PATH fd
    /// to it. A dangling symlink on the way, the last component included, gets its target
    /// created inside the root; an existing file is an error (EEXIST).
    public func createFile(_ unsafePath: String, mode: UInt32 = 0o644) throws -> Int32 {
        let (deepest, missing, _) = try walkToMissing(unsafePath)
        guard let name = missing.last else {
            sys.close(deepest)
            throw SyscallError("create", path: unsafePath, errno: EEXIST)
        }
        let dirfd = try makeDirectories(Array(missing.dropLast()), under: deepest, mode: 0o755, for: unsafePath)
        defer { sys.close(dirfd) }
        let created = try sys.openat(dirfd, name, flags: OpenFlag.create | OpenFlag.exclusive | OpenFlag.noFollow
                                        | OpenFlag.writeOnly | OpenFlag.closeOnExec, mode: mode)
        sys.close(created)
        return try sys.openat2(dirfd, name, flags: OpenFlag.path | OpenFlag.closeOnExec, mode: 0,
                               resolve: Self.beneathNoSymlinks)
    }

    /// Makes a symlink at `unsafePath` holding `target` (which symlink(2) stores verbatim).
    public func symlink(_ target: String, at unsafePath: String) throws {
        let (dirfd, name) = try parentAndName(unsafePath)
        defer { sys.close(dirfd) }
        try sys.symlinkat(target, dirfd, name)
    }

    /// Removes the entry at `unsafePath` (not following a final symlink).
    public func unlink(_ unsafePath: String) throws {
        let parts = LexicalPath.components(unsafePath)
        guard let name = parts.last else {
            throw PathInRootError(path: unsafePath, reason: "is the root itself")
        }
        let dirfd = try open(joinStrings(parts.dropLast(), separator: "/"), flags: OpenFlag.path | OpenFlag.directory)
        defer { sys.close(dirfd) }
        try sys.unlinkat(dirfd, name, flags: 0)
    }

    /// Where an fd from this root really is, as an absolute path inside the root (`/dev/pts`),
    /// checking the kernel's answer lies within the root.
    public func insidePath(of handle: Int32, for unsafePath: String) throws -> String {
        let real = try sys.pathOf(handle)
        guard let inside = LexicalPath.strip(root: path, real) else {
            throw PathInRootError(path: unsafePath, reason: "resolves to \(real), outside the rootfs \(path)")
        }
        return inside
    }
}
