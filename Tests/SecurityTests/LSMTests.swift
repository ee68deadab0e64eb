import Foundation
import Linux
import XCTest
@testable import Security

final class LSMTests: XCTestCase {
    func testMountLabelFormatting() {
        XCTAssertEqual(SELinux.formatMountLabel("", mountLabel: nil), "")
        XCTAssertEqual(SELinux.formatMountLabel("mode=755", mountLabel: ""), "mode=755")
        XCTAssertEqual(SELinux.formatMountLabel("", mountLabel: "system_u:object_r:container_file_t:s0:c1,c2"),
                       #"context="system_u:object_r:container_file_t:s0:c1,c2""#)
        XCTAssertEqual(SELinux.formatMountLabel("mode=755,size=65536k", mountLabel: "s0"), #"mode=755,size=65536k,context="s0""#)
        XCTAssertEqual(SELinux.formatMountLabel("", mountLabel: #"a"b\c"#), #"context="a\"b\\c""#)
    }

    func testAppArmorDetectionMatchesTheHost() {
        let enabled = FileManager.default.fileExists(atPath: "/sys/kernel/security/apparmor")
            && ((try? String(contentsOfFile: "/sys/module/apparmor/parameters/enabled", encoding: .utf8))?.hasPrefix("Y") ?? false)
        XCTAssertEqual(AppArmor.isEnabled(), enabled)
    }

    func testProfileOnAHostWithoutAppArmorIsAClearError() throws {
        XCTAssertNoThrow(try AppArmor.applyOnExec(profile: ""))
        try XCTSkipIf(AppArmor.isEnabled(), "AppArmor is enabled here")
        XCTAssertThrowsError(try AppArmor.applyOnExec(profile: "docker-default")) { error in
            XCTAssertEqual("\(error)", "process.apparmorProfile: apparmor is not enabled on this host")
        }
    }

    func testLabelOnAHostWithoutSELinuxIsAClearError() throws {
        XCTAssertNoThrow(try SELinux.setExecLabel(""))
        try XCTSkipIf(SELinux.isEnabled(), "SELinux is enabled here")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/sys/fs/selinux/enforce"))
        XCTAssertThrowsError(try SELinux.setExecLabel("system_u:system_r:container_t:s0")) { error in
            XCTAssertEqual("\(error)", "process.selinuxLabel: selinux label is specified in config, but selinux is disabled or not supported")
        }
        XCTAssertNoThrow(try SELinux.setKeyCreateLabel(""))
    }

    func testProcRootIsVerified() throws {
        let fd = try SafeProcfs.openProcRoot()
        close(fd)
        let root = open("/", O_RDONLY | O_DIRECTORY)
        defer { close(root) }
        XCTAssertThrowsError(try SafeProcfs.requireProcfs(root, "/")) { error in
            XCTAssertEqual((error as? SyscallError)?.errno, EXDEV)
        }
    }

    func testAttributeWriteReachesTheKernel() {
        // Not a valid value for any LSM (and no "exec " prefix for AppArmor), so the kernel
        // refuses it and this process is left as it was; the error shows the file was opened
        // and checked and the write itself was refused.
        XCTAssertThrowsError(try SafeProcfs.write("swiftlet-test-invalid", to: "thread-self/attr/exec")) { error in
            let syscallError = error as? SyscallError
            XCTAssertEqual(syscallError?.path, "/proc/thread-self/attr/exec")
            XCTAssertTrue(syscallError?.operation.hasPrefix("write") ?? false, "\(error)")
        }
        XCTAssertThrowsError(try SafeProcfs.write("x", to: "thread-self/attr/no-such-attribute", fallback: "thread-self/attr/nor-this")) { error in
            XCTAssertEqual("\(error)", "open /proc/thread-self/attr/nor-this: no such file or directory")
        }
    }
}

final class SecurityFeaturesTests: XCTestCase {
    func testSeccompFeatures() {
        let actions = SecurityFeatures.seccompActions
        let avail = (try? String(contentsOfFile: "/proc/sys/kernel/seccomp/actions_avail", encoding: .utf8)) ?? ""
        if avail.contains("user_notif") { XCTAssertTrue(actions.contains("SCMP_ACT_NOTIFY")) }
        if avail.contains("kill_process") { XCTAssertTrue(actions.contains("SCMP_ACT_KILL_PROCESS")) }
        XCTAssertTrue(actions.contains("SCMP_ACT_ERRNO"))
        XCTAssertEqual(SecurityFeatures.seccompOperators.count, 7)
        XCTAssertTrue(SecurityFeatures.seccompArchs.contains("SCMP_ARCH_X86_64"))
        XCTAssertTrue(SecurityFeatures.seccompArchs.contains("SCMP_ARCH_AARCH64"))
        XCTAssertEqual(SecurityFeatures.knownFlags.count, 4)
        let supported = SecurityFeatures.supportedFlags
        XCTAssertTrue(Set(supported).isSubset(of: SecurityFeatures.knownFlags))
        XCTAssertTrue(supported.contains("SECCOMP_FILTER_FLAG_TSYNC"))
        XCTAssertEqual(SecurityFeatures.seccomp.supportedFlags, supported)
        XCTAssertTrue(SecurityFeatures.libseccompVersion.hasPrefix("2."))
    }

    func testSupportedFlagsFollowTheKernelVersion() throws {
        // LOG since 4.14, SPEC_ALLOW since 4.17, WAIT_KILLABLE_RECV since 6.0.
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        let version = parts[0] * 1000 + parts[1]
        let supported = SecurityFeatures.supportedFlags
        XCTAssertEqual(supported.contains("SECCOMP_FILTER_FLAG_LOG"), version >= 4014)
        XCTAssertEqual(supported.contains("SECCOMP_FILTER_FLAG_SPEC_ALLOW"), version >= 4017)
        XCTAssertEqual(supported.contains("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"), version >= 6000)
    }

    func testCapabilityList() {
        let names = SecurityFeatures.capabilities
        XCTAssertEqual(names.first, "CAP_CHOWN")
        XCTAssertTrue(names.contains("CAP_SYS_ADMIN"))
        XCTAssertEqual(Set(names).count, names.count)
    }
}
