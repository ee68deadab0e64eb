// podman's `tmpcopyup`: a tmpfs that starts with what the directory under it held. An fd of
// the directory, opened before the tmpfs covers it, still reads the covered contents, so the
// copy goes straight from that fd into the new mount: no scratch directory on the host.
#if canImport(Glibc)
import Glibc
#endif
import Linux

extension SpecMounter {
    func mountTmpfsCopyUp(_ m: PlannedMount) throws {
        let target = try openMountpoint(m)
        defer { sys.close(target.fd) }
        let original = try sys.openat(target.fd, ".", flags: OpenFlag.readOnly | OpenFlag.directory | OpenFlag.closeOnExec, mode: 0)
        defer { sys.close(original) }
        let mounted = try mountFilesystem(m, on: target)
        defer { sys.close(mounted.fd) }
        do {
            try copyTree(from: original, to: mounted.fd)
        } catch {
            throw RootfsError(stage: "tmpcopyup", subject: m.destination, underlying: error)
        }
    }

    /// Copies the entries of directory `source` into directory `destination` (both fds):
    /// directories, regular files, symlinks, device nodes, fifos and sockets, with their mode
    /// and owner. Entries are opened with O_NOFOLLOW, so nothing is read through a symlink.
    func copyTree(from source: Int32, to destination: Int32) throws {
        for entry in try sys.listDirectory(source) {
            let name = entry.name
            let st = try sys.fstatat(source, name, flags: AtFlag.symlinkNoFollow)
            switch st.type {
            case FileType.directory:
                try sys.mkdirat(destination, name, mode: 0o700)
                let from = try sys.openat(source, name, flags: OpenFlag.readOnly | OpenFlag.directory
                                            | OpenFlag.noFollow | OpenFlag.closeOnExec, mode: 0)
                defer { sys.close(from) }
                let to = try sys.openat(destination, name, flags: OpenFlag.path | OpenFlag.directory
                                          | OpenFlag.noFollow | OpenFlag.closeOnExec, mode: 0)
                defer { sys.close(to) }
                try copyTree(from: from, to: to)
            case FileType.regular:
                let from = try sys.openat(source, name, flags: OpenFlag.readOnly | OpenFlag.noFollow
                                            | OpenFlag.closeOnExec, mode: 0)
                defer { sys.close(from) }
                let to = try sys.openat(destination, name, flags: OpenFlag.writeOnly | OpenFlag.create
                                          | OpenFlag.exclusive | OpenFlag.noFollow | OpenFlag.closeOnExec,
                                        mode: 0o600)
                defer { sys.close(to) }
                try sys.copyContents(from: from, to: to)
            case FileType.symlink:
                try sys.symlinkat(try sys.readlinkat(source, name), destination, name)
            default:
                try sys.mknodat(destination, name, mode: st.mode, device: st.rdev)
            }
            try sys.fchownat(destination, name, uid: st.uid, gid: st.gid, flags: AtFlag.symlinkNoFollow)
            if st.type != FileType.symlink {
                // After chown, which clears setuid and setgid bits.
                let fd = try sys.openat(destination, name, flags: OpenFlag.path | OpenFlag.noFollow | OpenFlag.closeOnExec, mode: 0)
                defer { sys.close(fd) }
                try sys.fchmodat(AtFlag.fdcwd, sys.procfd(fd), mode: st.permissions)
            }
        }
    }
}
