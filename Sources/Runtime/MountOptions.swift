// The `options` of a config.json mount, translated the way mount(8) and runc read them:
// flags for mount(2), propagation changes made after the mount, recursive attributes for
// mount_setattr(2), runtime extensions (tmpcopyup, idmap), and everything else as the
// filesystem's data string (`mode=755,size=65536k`).
import Linux

public struct MountOptions: Equatable, Sendable {
    /// MS_* flags to set.
    public var flags: UInt = 0
    /// MS_* flags the options explicitly turned off (`rw`, `suid`, `exec`...): a bind remount
    /// must not keep them from the source.
    public var clearedFlags: UInt = 0
    /// Propagation changes, each its own mount(2) call after the mount, in the given order.
    public var propagation: [UInt] = []
    /// mount_setattr(2) attributes applied with AT_RECURSIVE (`rro`, `rnosuid`...).
    public var recursiveSet: UInt64 = 0
    public var recursiveClear: UInt64 = 0
    /// Filesystem-specific options, in their original order.
    public var data: [String] = []
    /// podman's `tmpcopyup`: fill a new tmpfs with what the directory held before.
    public var copyUp = false
    /// `idmap` / `ridmap`: an idmapped mount, recursive for `ridmap`.
    public var idmap: IDMapOption?

    public enum IDMapOption: Equatable, Sendable { case single, recursive }

    public init() {}

    public init(parsing options: [String]) {
        for option in options { apply(option) }
    }

    public var dataString: String { joinStrings(data, separator: ",") }
    public var isBind: Bool { flags & MountFlag.bind != 0 }
    public var isRecursiveBind: Bool { flags & (MountFlag.bind | MountFlag.recursive) == MountFlag.bind | MountFlag.recursive }
    public var isReadOnly: Bool { flags & MountFlag.readOnly != 0 }
    public var hasRecursiveAttributes: Bool { recursiveSet != 0 || recursiveClear != 0 }

    /// Every option word this parser knows (for `features`).
    public static var known: [String] {
        (flagOptions.keys.map { $0 } + propagationOptions.keys.map { $0 } + recursiveOptions.keys.map { $0 }
            + ["defaults", "tmpcopyup", "idmap", "ridmap"]).sorted()
    }

    mutating func apply(_ option: String) {
        if option == "defaults" {
            // mount(8)'s "use the defaults": rw,suid,dev,exec,auto,nouser,async, all of which
            // are what mount(2) does without flags.
            return
        }
        if let (clear, flag) = Self.flagOptions[option] {
            if clear {
                flags &= ~flag
                clearedFlags |= flag
            } else {
                flags |= flag
                clearedFlags &= ~flag
            }
        } else if let flag = Self.propagationOptions[option] {
            propagation.append(flag)
        } else if let (clear, attribute) = Self.recursiveOptions[option] {
            if clear {
                recursiveClear |= attribute
                recursiveSet &= ~attribute
            } else {
                recursiveSet |= attribute
                recursiveClear &= ~attribute
            }
            // The atime mode is a field, not a bit: mount_setattr(2) only changes it when the
            // whole field is in attr_clr.
            if attribute & MountAttribute.atimeMask == attribute {
                recursiveClear |= MountAttribute.atimeMask
            }
        } else if option == "tmpcopyup" {
            copyUp = true
        } else if option == "idmap" {
            idmap = .single
        } else if option == "ridmap" {
            idmap = .recursive
        } else {
            data.append(option)
        }
    }

    /// (clears?, MS_* flag) for each flag word.
    static let flagOptions: [String: (Bool, UInt)] = [
        "ro": (false, MountFlag.readOnly), "rw": (true, MountFlag.readOnly),
        "nosuid": (false, MountFlag.noSuid), "suid": (true, MountFlag.noSuid),
        "nodev": (false, MountFlag.noDev), "dev": (true, MountFlag.noDev),
        "noexec": (false, MountFlag.noExec), "exec": (true, MountFlag.noExec),
        "sync": (false, MountFlag.synchronous), "async": (true, MountFlag.synchronous),
        "dirsync": (false, MountFlag.dirSync),
        "remount": (false, MountFlag.remount),
        "mand": (false, MountFlag.mandatoryLock), "nomand": (true, MountFlag.mandatoryLock),
        "noatime": (false, MountFlag.noAtime), "atime": (true, MountFlag.noAtime),
        "nodiratime": (false, MountFlag.noDirAtime), "diratime": (true, MountFlag.noDirAtime),
        "relatime": (false, MountFlag.relatime), "norelatime": (true, MountFlag.relatime),
        "strictatime": (false, MountFlag.strictAtime), "nostrictatime": (true, MountFlag.strictAtime),
        "lazytime": (false, MountFlag.lazyTime), "nolazytime": (true, MountFlag.lazyTime),
        "silent": (false, MountFlag.silent), "loud": (true, MountFlag.silent),
        "iversion": (false, MountFlag.iVersion), "noiversion": (true, MountFlag.iVersion),
        "nosymfollow": (false, MountFlag.noSymFollow), "symfollow": (true, MountFlag.noSymFollow),
        "bind": (false, MountFlag.bind), "rbind": (false, MountFlag.bind | MountFlag.recursive),
    ]

    static let propagationOptions: [String: UInt] = [
        "private": MountFlag.private, "rprivate": MountFlag.private | MountFlag.recursive,
        "slave": MountFlag.slave, "rslave": MountFlag.slave | MountFlag.recursive,
        "shared": MountFlag.shared, "rshared": MountFlag.shared | MountFlag.recursive,
        "unbindable": MountFlag.unbindable, "runbindable": MountFlag.unbindable | MountFlag.recursive,
    ]

    /// (clears?, MOUNT_ATTR_*) for each recursive attribute word.
    static let recursiveOptions: [String: (Bool, UInt64)] = [
        "rro": (false, MountAttribute.readOnly), "rrw": (true, MountAttribute.readOnly),
        "rnosuid": (false, MountAttribute.noSuid), "rsuid": (true, MountAttribute.noSuid),
        "rnodev": (false, MountAttribute.noDev), "rdev": (true, MountAttribute.noDev),
        "rnoexec": (false, MountAttribute.noExec), "rexec": (true, MountAttribute.noExec),
        "rnodiratime": (false, MountAttribute.noDirAtime), "rdiratime": (true, MountAttribute.noDirAtime),
        "rrelatime": (false, MountAttribute.relatime), "rnorelatime": (true, MountAttribute.relatime),
        "rnoatime": (false, MountAttribute.noAtime), "ratime": (true, MountAttribute.noAtime),
        "rstrictatime": (false, MountAttribute.strictAtime), "rnostrictatime": (true, MountAttribute.strictAtime),
        "rnosymfollow": (false, MountAttribute.noSymFollow), "rsymfollow": (true, MountAttribute.noSymFollow),
    ]

    /// rootfsPropagation values (the same words as the propagation options).
    public static func rootPropagation(_ value: String) -> UInt? { propagationOptions[value] }
}
