// Switching the process's user and groups, and rlimits by name.
#if canImport(Glibc)
import Glibc
#endif
import CShims

public enum Credentials {
    public static func setGroups(_ gids: [UInt32]) throws {
        var list = gids.map { gid_t($0) }
        try check("setgroups") { setgroups(list.count, &list) }
    }

    public static func setGID(_ gid: UInt32) throws {
        try check("setresgid", path: String(gid)) { sl_setresgid(gid, gid, gid) }
    }

    public static func setUID(_ uid: UInt32) throws {
        try check("setresuid", path: String(uid)) { sl_setresuid(uid, uid, uid) }
    }
}

public enum Rlimits {
    public static let resources: [String: Int32] = [
        "RLIMIT_CPU": 0, "RLIMIT_FSIZE": 1, "RLIMIT_DATA": 2, "RLIMIT_STACK": 3, "RLIMIT_CORE": 4,
        "RLIMIT_RSS": 5, "RLIMIT_NPROC": 6, "RLIMIT_NOFILE": 7, "RLIMIT_MEMLOCK": 8, "RLIMIT_AS": 9,
        "RLIMIT_LOCKS": 10, "RLIMIT_SIGPENDING": 11, "RLIMIT_MSGQUEUE": 12, "RLIMIT_NICE": 13,
        "RLIMIT_RTPRIO": 14, "RLIMIT_RTTIME": 15,
    ]

    public static func set(_ name: String, soft: UInt64, hard: UInt64) throws {
        guard let resource = resources[name] else { throw SyscallError("setrlimit", path: name, errno: EINVAL) }
        var limit = rlimit(rlim_cur: rlim_t(soft), rlim_max: rlim_t(hard))
        try check("setrlimit", path: name) { setrlimit(__rlimit_resource_t(UInt32(resource)), &limit) }
    }
}
