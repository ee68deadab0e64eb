// Capability names as config.json spells them, and the masks /proc/PID/status prints.
import Foundation

enum Capabilities {
    /// Index = capability number (linux/capability.h).
    static let names = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
        "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    static func mask(_ list: [String]) -> UInt64 {
        list.reduce(0) { bits, name in
            guard let n = names.firstIndex(of: name) else { preconditionFailure("unknown capability \(name)") }
            return bits | (1 << UInt64(n))
        }
    }

    /// The names set in a mask, for readable failure messages.
    static func names(in mask: UInt64) -> [String] {
        (0..<64).filter { mask & (1 << UInt64($0)) != 0 }.map { $0 < names.count ? names[$0] : "cap\($0)" }
    }

    /// CapInh/CapPrm/CapEff/CapBnd/CapAmb parsed from the text of /proc/PID/status.
    static func sets(fromStatus status: String) -> [String: UInt64] {
        var result: [String: UInt64] = [:]
        for line in status.split(separator: "\n") where line.hasPrefix("Cap") {
            let parts = line.split(separator: ":")
            guard parts.count == 2 else { continue }
            result[String(parts[0])] = UInt64(parts[1].trimmingCharacters(in: .whitespaces), radix: 16)
        }
        return result
    }
}
