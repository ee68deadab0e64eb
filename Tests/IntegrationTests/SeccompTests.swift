// linux.seccomp: the filter is loaded (Seccomp: 2) and its actions take effect on the
// container's own syscalls.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class SeccompTests: IntegrationTestCase {
    private func profile(_ rules: [[String: Any]], defaultAction: String = "SCMP_ACT_ALLOW") -> [String: Any] {
        ["defaultAction": defaultAction, "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
         "syscalls": rules]
    }

    func testErrnoRuleDeniesMkdirAndFilterIsInstalled() throws {
        let bundle = try makeBundle(["sh", "-c", "grep -E '^Seccomp(_filters)?:' /proc/self/status; "
                                        + "mkdir /dev/shm/d 2>&1; echo rc=$?; touch /dev/shm/f && echo touch-ok"])
        bundle.config["linux.seccomp"] = profile([["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                                                   "errnoRet": 1]])
        let out = try output(bundle)
        XCTAssertEqual(statusField("Seccomp", in: out), "2", out)
        XCTAssertTrue(out.contains("Operation not permitted"), out)
        XCTAssertTrue(out.contains("rc=1"), out)
        XCTAssertTrue(out.contains("touch-ok"), "other syscalls must stay allowed: \(out)")
        assertNoLeaks()
    }

    func testErrnoRetIsTheErrnoSeen() throws {
        let bundle = try makeBundle(["sh", "-c", "mkdir /dev/shm/d 2>&1; true"])
        bundle.config["linux.seccomp"] = profile([["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                                                   "errnoRet": Int(EACCES)]])
        XCTAssertTrue(try output(bundle).contains("Permission denied"))
        assertNoLeaks()
    }

    func testErrnoWithoutErrnoRetIsEPERM() throws {
        let bundle = try makeBundle(["sh", "-c", "mkdir /dev/shm/d 2>&1; true"])
        bundle.config["linux.seccomp"] = profile([["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"]])
        XCTAssertTrue(try output(bundle).contains("Operation not permitted"))
        assertNoLeaks()
    }

    func testArgumentConditions() throws {
        let bundle = try makeBundle(["sh", "-c", "touch /dev/shm/f; chmod 755 /dev/shm/f && echo 755-ok; "
                                        + "chmod 777 /dev/shm/f 2>/dev/null || echo 777-denied; stat -c %a /dev/shm/f"])
        let denyMode: (String, Int) -> [String: Any] = { name, index in
            ["names": [name], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
             "args": [["index": index, "value": 0o777, "op": "SCMP_CMP_EQ"]]]
        }
        bundle.config["linux.seccomp"] = profile([denyMode("chmod", 1), denyMode("fchmodat", 2),
                                                  denyMode("fchmod", 1)])
        XCTAssertEqual(try output(bundle), "755-ok\n777-denied\n755\n")
        assertNoLeaks()
    }

    func testKillProcessAction() throws {
        let bundle = try makeBundle(["sh", "-c", "uname -s"])
        bundle.config.removeNamespace("pid")  // so the shell's own death is the run's exit status
        bundle.config["linux.seccomp"] = profile([["names": ["uname"], "action": "SCMP_ACT_KILL_PROCESS"]])
        let result = try run(bundle)
        XCTAssertEqual(result.exitCode, 128 + SIGSYS, "\(result)")
        XCTAssertEqual(result.stdout, "", "uname ran: \(result)")
        assertNoLeaks()
    }

    func testSeccompWithoutNoNewPrivileges() throws {
        let bundle = try makeBundle(["sh", "-c", "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status; mkdir /dev/shm/d 2>&1; true"])
        bundle.config["process.noNewPrivileges"] = false
        bundle.config["linux.seccomp"] = profile([["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                                                   "errnoRet": 1]])
        let out = try output(bundle)
        XCTAssertEqual(statusField("NoNewPrivs", in: out), "0", out)
        XCTAssertEqual(statusField("Seccomp", in: out), "2", out)
        XCTAssertTrue(out.contains("Operation not permitted"), out)
        assertNoLeaks()
    }
}
