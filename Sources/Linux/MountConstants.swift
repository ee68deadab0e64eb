// Kernel constants for mounts, openat2 and *at calls, spelled out once: glibc's headers hide
// several of them behind macros Swift cannot import (O_PATH, RESOLVE_*, MOUNT_ATTR_*).

/// mount(2) flags (MS_*), from linux/mount.h.
public enum MountFlag {
    public static let readOnly: UInt = 0x1             // MS_RDONLY
    public static let noSuid: UInt = 0x2               // MS_NOSUID
    public static let noDev: UInt = 0x4                // MS_NODEV
    public static let noExec: UInt = 0x8               // MS_NOEXEC
    public static let synchronous: UInt = 0x10         // MS_SYNCHRONOUS
    public static let remount: UInt = 0x20             // MS_REMOUNT
    public static let mandatoryLock: UInt = 0x40       // MS_MANDLOCK
    public static let dirSync: UInt = 0x80             // MS_DIRSYNC
    public static let noSymFollow: UInt = 0x100        // MS_NOSYMFOLLOW
    public static let noAtime: UInt = 0x400            // MS_NOATIME
    public static let noDirAtime: UInt = 0x800         // MS_NODIRATIME
    public static let bind: UInt = 0x1000              // MS_BIND
    public static let move: UInt = 0x2000              // MS_MOVE
    public static let recursive: UInt = 0x4000         // MS_REC
    public static let silent: UInt = 0x8000            // MS_SILENT
    public static let unbindable: UInt = 0x20000       // MS_UNBINDABLE
    public static let `private`: UInt = 0x40000        // MS_PRIVATE
    public static let slave: UInt = 0x80000            // MS_SLAVE
    public static let shared: UInt = 0x100000          // MS_SHARED
    public static let relatime: UInt = 0x200000        // MS_RELATIME
    public static let iVersion: UInt = 0x800000        // MS_I_VERSION
    public static let strictAtime: UInt = 0x1000000    // MS_STRICTATIME
    public static let lazyTime: UInt = 0x2000000       // MS_LAZYTIME

    public static let propagationTypes: UInt = unbindable | `private` | slave | shared
    /// The mutually exclusive atime modes, and all atime-related flags.
    public static let atimeModes: UInt = noAtime | relatime | strictAtime
    public static let atimeFlags: UInt = atimeModes | noDirAtime
    /// What the kernel locks (MNT_LOCK_*) on mounts inherited into a less privileged user
    /// namespace: a remount there must keep these as they are.
    public static let lockable: UInt = readOnly | noDev | noExec | noSuid | atimeFlags

    /// The symbolic form, for error messages and recorded calls: `bind|rec|rdonly`.
    public static func describe(_ flags: UInt) -> String {
        if flags == 0 { return "0" }
        var parts: [String] = []
        var rest = flags
        for (bit, name) in names where flags & bit != 0 {
            parts.append(name)
            rest &= ~bit
        }
        if rest != 0 { parts.append("0x" + String(rest, radix: 16)) }
        return joinStrings(parts, separator: "|")
    }

    private static let names: [(UInt, String)] = [
        (bind, "bind"), (move, "move"), (remount, "remount"), (recursive, "rec"),
        (`private`, "private"), (slave, "slave"), (shared, "shared"), (unbindable, "unbindable"),
        (readOnly, "rdonly"), (noSuid, "nosuid"), (noDev, "nodev"), (noExec, "noexec"),
        (synchronous, "sync"), (mandatoryLock, "mand"), (dirSync, "dirsync"),
        (noSymFollow, "nosymfollow"), (noAtime, "noatime"), (noDirAtime, "nodiratime"),
        (silent, "silent"), (relatime, "relatime"), (iVersion, "iversion"),
        (strictAtime, "strictatime"), (lazyTime, "lazytime"),
    ]
}

/// mount_setattr(2) attributes (MOUNT_ATTR_*), from linux/mount.h.
public enum MountAttribute {
    public static let readOnly: UInt64 = 0x1
    public static let noSuid: UInt64 = 0x2
    public static let noDev: UInt64 = 0x4
    public static let noExec: UInt64 = 0x8
    /// The atime mode is a 3-bit field: setting one mode needs this mask in attr_clr.
    public static let atimeMask: UInt64 = 0x70
    public static let relatime: UInt64 = 0x0
    public static let noAtime: UInt64 = 0x10
    public static let strictAtime: UInt64 = 0x20
    public static let noDirAtime: UInt64 = 0x80
    public static let idmap: UInt64 = 0x100000
    public static let noSymFollow: UInt64 = 0x200000
}

/// umount2(2) flags.
public enum UnmountFlag {
    public static let force: Int32 = 0x1   // MNT_FORCE
    public static let detach: Int32 = 0x2  // MNT_DETACH
}

/// openat2(2) resolve flags (RESOLVE_*), from linux/openat2.h.
public enum ResolveFlag {
    public static let noXDev: UInt64 = 0x01
    public static let noMagicLinks: UInt64 = 0x02
    public static let noSymlinks: UInt64 = 0x04
    public static let beneath: UInt64 = 0x08
    public static let inRoot: UInt64 = 0x10
}

/// open(2) and *at(2) flags Swift's Glibc module does not export, or exports under other types.
public enum OpenFlag {
    public static let readOnly: Int32 = 0o0
    public static let writeOnly: Int32 = 0o1
    public static let readWrite: Int32 = 0o2
    public static let create: Int32 = 0o100
    public static let exclusive: Int32 = 0o200
    public static let noCTTY: Int32 = 0o400
    public static let truncate: Int32 = 0o1000
    public static let directory: Int32 = 0o200000
    public static let noFollow: Int32 = 0o400000
    public static let closeOnExec: Int32 = 0o2000000
    public static let path: Int32 = 0o10000000
}

public enum AtFlag {
    public static let fdcwd: Int32 = -100                // AT_FDCWD
    public static let symlinkNoFollow: Int32 = 0x100     // AT_SYMLINK_NOFOLLOW
    public static let removeDir: Int32 = 0x200           // AT_REMOVEDIR
    public static let emptyPath: Int32 = 0x1000          // AT_EMPTY_PATH
    public static let recursive: UInt32 = 0x8000         // AT_RECURSIVE
}

/// statfs(2) f_flags (ST_*): the same facts as MS_* but not always the same bits.
public enum StatfsFlag {
    public static let readOnly: UInt64 = 0x1
    public static let noSuid: UInt64 = 0x2
    public static let noDev: UInt64 = 0x4
    public static let noExec: UInt64 = 0x8
    public static let synchronous: UInt64 = 0x10
    public static let mandatoryLock: UInt64 = 0x40
    public static let noAtime: UInt64 = 0x400
    public static let noDirAtime: UInt64 = 0x800
    public static let relatime: UInt64 = 0x1000
    public static let noSymFollow: UInt64 = 0x2000

    /// The MS_* flags a statfs result stands for. MS_STRICTATIME is never stored on a mount: a
    /// mount with none of the other atime modes is a strictatime mount.
    public static func mountFlags(_ st: UInt64) -> UInt {
        let pairs: [(UInt64, UInt)] = [
            (readOnly, MountFlag.readOnly), (noSuid, MountFlag.noSuid), (noDev, MountFlag.noDev),
            (noExec, MountFlag.noExec), (synchronous, MountFlag.synchronous),
            (mandatoryLock, MountFlag.mandatoryLock), (noAtime, MountFlag.noAtime),
            (noDirAtime, MountFlag.noDirAtime), (relatime, MountFlag.relatime),
            (noSymFollow, MountFlag.noSymFollow),
        ]
        var flags: UInt = 0
        for (bit, flag) in pairs where st & bit != 0 { flags |= flag }
        if flags & MountFlag.atimeModes == 0 { flags |= MountFlag.strictAtime }
        return flags
    }
}

/// Filesystem magic numbers (statfs f_type).
public enum FilesystemMagic {
    public static let proc: Int64 = 0x9fa0
    public static let sysfs: Int64 = 0x62656572
    public static let tmpfs: Int64 = 0x01021994
    public static let cgroup2: Int64 = 0x63677270
    public static let cgroup: Int64 = 0x27e0eb
}

/// File type bits of st_mode.
public enum FileType {
    public static let mask: UInt32 = 0o170000
    public static let socket: UInt32 = 0o140000
    public static let symlink: UInt32 = 0o120000
    public static let regular: UInt32 = 0o100000
    public static let block: UInt32 = 0o060000
    public static let directory: UInt32 = 0o040000
    public static let character: UInt32 = 0o020000
    public static let fifo: UInt32 = 0o010000
}

/// dev_t encoding (glibc's makedev: major and minor split across the 64 bits).
public enum DeviceNumber {
    public static func make(major: UInt32, minor: UInt32) -> UInt64 {
        (UInt64(major & 0xfff) << 8) | (UInt64(major & ~0xfff) << 32)
            | UInt64(minor & 0xff) | (UInt64(minor & ~0xff) << 12)
    }
    public static func major(_ dev: UInt64) -> UInt32 { UInt32(((dev >> 8) & 0xfff) | ((dev >> 32) & 0xffff_f000)) }
    public static func minor(_ dev: UInt64) -> UInt32 { UInt32((dev & 0xff) | ((dev >> 12) & 0xffff_ff00)) }
}
