// process.apparmorProfile: the profile the container process runs under after exec.
//
// runc 1.5 writes the profile without checking first, so on a host without AppArmor it fails
// with the kernel's "invalid argument". We fail the same case with a message that says why.
import Glibc
import Linux

public enum AppArmor {
    /// runc's test: the securityfs directory exists and the module parameter says "Y".
    public static func isEnabled() -> Bool {
        var info = stat()
        guard stat("/sys/kernel/security/apparmor", &info) == 0 else { return false }
        return readSmallFile("/sys/module/apparmor/parameters/enabled")?.first == UInt8(ascii: "Y")
    }

    /// Asks AppArmor to switch to `profile` at the next execve (aa_change_onexec). Does nothing
    /// for an empty profile, as runc.
    public static func applyOnExec(profile: String, path: String = "process.apparmorProfile") throws {
        if profile.isEmpty { return }
        guard isEnabled() else { throw SecurityConfigError(path, "apparmor is not enabled on this host") }
        // attr/apparmor/ is the interface since Linux 5.8 (LSM stacking); attr/ the older one.
        try SafeProcfs.write("exec " + profile, to: "thread-self/attr/apparmor/exec", fallback: "thread-self/attr/exec")
    }
}
