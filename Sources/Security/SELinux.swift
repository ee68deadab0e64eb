// process.selinuxLabel and linux.mountLabel.
//
// runc refuses a process label when SELinux is disabled ("selinux label is specified in config,
// but selinux is disabled or not supported"); so do we, naming the field.
import CShims
import Glibc
import Linux

public enum SELinux {
    static let selinuxMagic = 0xf97c_ff8c

    /// selinuxfs is mounted (at /sys/fs/selinux, or the old /selinux) read-write, and the
    /// process is not in the "kernel" context (which means no policy is loaded).
    public static func isEnabled() -> Bool {
        guard ["/sys/fs/selinux", "/selinux"].contains(where: isSelinuxfs) else { return false }
        guard let current = readSmallFile("/proc/self/attr/current") else { return false }
        let label = String(decoding: current.prefix { $0 != 0 && $0 != 10 }, as: UTF8.self)
        return label != "kernel"
    }

    private static func isSelinuxfs(_ path: String) -> Bool {
        var type = 0
        var flags: UInt = 0
        guard swiftlet_security_statfs(path, &type, &flags) == 0 else { return false }
        return type == selinuxMagic && flags & UInt(SWIFTLET_ST_RDONLY) == 0
    }

    /// Labels the process created by the next execve (/proc/thread-self/attr/exec). Does
    /// nothing for an empty label.
    public static func setExecLabel(_ label: String, path: String = "process.selinuxLabel") throws {
        if label.isEmpty { return }
        guard isEnabled() else { throw notEnabled(path) }
        try SafeProcfs.write(label, to: "thread-self/attr/exec")
    }

    /// Labels keyrings created from now on (/proc/thread-self/attr/keycreate), for the session
    /// keyring init joins; an empty label resets to the default.
    public static func setKeyCreateLabel(_ label: String, path: String = "process.selinuxLabel") throws {
        guard isEnabled() else {
            if label.isEmpty { return }
            throw notEnabled(path)
        }
        try SafeProcfs.write(label, to: "thread-self/attr/keycreate")
    }

    /// Mount data with the `context=` option for `mountLabel` added: `context="<label>"`, after
    /// a comma when there is data already. The label is quoted because MCS labels contain
    /// commas (`s0:c1,c2`). Unchanged when there is no label.
    public static func formatMountLabel(_ data: String, mountLabel: String?) -> String {
        guard let mountLabel, !mountLabel.isEmpty else { return data }
        var quotedLabel = "\""
        for character in mountLabel {
            if character == "\"" || character == "\\" { quotedLabel.append("\\") }
            quotedLabel.append(character)
        }
        quotedLabel.append("\"")
        let option = "context=" + quotedLabel
        return data.isEmpty ? option : data + "," + option
    }

    private static func notEnabled(_ path: String) -> SecurityConfigError {
        SecurityConfigError(path, "selinux label is specified in config, but selinux is disabled or not supported")
    }
}
