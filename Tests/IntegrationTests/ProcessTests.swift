// config.json's process object (and hostname, sysctl, inherited fds, terminal), each read back
// from inside a real container.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class ProcessTests: IntegrationTestCase {
    func testArgsArriveVerbatim() throws {
        let bundle = try makeBundle(["sh", "-c", "printf '%s|' \"$@\"", "sh", "a b", "", "c'd", "$HOME", "*"])
        XCTAssertEqual(try output(bundle), "a b||c'd|$HOME|*|")
        assertNoLeaks()
    }

    func testEnvIsExactlyTheConfiguredOneAndHomeComesFromPasswd() throws {
        let bundle = try makeBundle(["env"])
        bundle.config["process.env"] = ["PATH=/bin:/usr/bin", "FOO=bar baz", "EMPTY=", "SWIFTLET_IT_TOKEN=\(token)"]
        let lines = Set(try output(bundle).split(separator: "\n").map(String.init))
        XCTAssertTrue(lines.contains("FOO=bar baz"), "\(lines)")
        XCTAssertTrue(lines.contains("EMPTY="), "\(lines)")
        XCTAssertTrue(lines.contains("PATH=/bin:/usr/bin"), "\(lines)")
        // runc adds HOME from the rootfs's /etc/passwd when the config has none.
        XCTAssertTrue(lines.contains("HOME=/root"), "\(lines)")
        XCTAssertFalse(lines.contains { $0.hasPrefix("TERM=") }, "TERM leaked from the base config or host: \(lines)")
        assertNoLeaks()
    }

    func testCwd() throws {
        let bundle = try makeBundle(["pwd"])
        bundle.config["process.cwd"] = "/var/tmp"
        XCTAssertEqual(try output(bundle), "/var/tmp\n")
        assertNoLeaks()
    }

    func testUserGroupAndAdditionalGids() throws {
        let bundle = try makeBundle(["sh", "-c", "grep -E '^(Uid|Gid|Groups):' /proc/self/status; id -u; id -g"])
        bundle.config["process.user"] = ["uid": 1000, "gid": 1001, "additionalGids": [10, 20]]
        let out = try output(bundle)
        XCTAssertEqual(statusField("Uid", in: out)?.split(separator: "\t"), ["1000", "1000", "1000", "1000"], out)
        XCTAssertEqual(statusField("Gid", in: out)?.split(separator: "\t"), ["1001", "1001", "1001", "1001"], out)
        XCTAssertEqual(Set(statusField("Groups", in: out)?.split(separator: " ").map(String.init) ?? []),
                       ["10", "20"], out)
        XCTAssertTrue(out.hasSuffix("1000\n1001\n"), out)
        assertNoLeaks()
    }

    func testRootUserHasNoSupplementaryGroupsUnlessConfigured() throws {
        let bundle = try makeBundle(["grep", "^Groups:", "/proc/self/status"])
        XCTAssertEqual(statusField("Groups", in: try output(bundle)), "")
        assertNoLeaks()
    }

    func testUmask() throws {
        let bundle = try makeBundle(["sh", "-c", "umask; touch /tmp/f; stat -c %a /tmp/f"])
        bundle.config["root.readonly"] = false
        bundle.config["process.user.umask"] = 0o027
        XCTAssertEqual(try output(bundle), "0027\n640\n")
        assertNoLeaks()
    }

    func testRlimits() throws {
        let bundle = try makeBundle(["sh", "-c", "ulimit -n; cat /proc/self/limits"])
        bundle.config["process.rlimits"] = [["type": "RLIMIT_NOFILE", "soft": 123, "hard": 456],
                                            ["type": "RLIMIT_CORE", "soft": 1024, "hard": 2048]]
        let out = try output(bundle)
        XCTAssertTrue(out.hasPrefix("123\n"), out)
        func limit(_ name: String) -> [String] {
            guard let line = out.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else { return [] }
            return line.dropFirst(name.count).split(separator: " ").prefix(2).map(String.init)
        }
        XCTAssertEqual(limit("Max open files"), ["123", "456"], out)
        XCTAssertEqual(limit("Max core file size"), ["1024", "2048"], out)
        assertNoLeaks()
    }

    func testNoNewPrivileges() throws {
        for (flag, expected) in [(true, "1"), (false, "0")] {
            let bundle = try makeBundle(["cat", "/proc/self/status"], name: "nnp\(expected)")
            bundle.config["process.noNewPrivileges"] = flag
            XCTAssertEqual(statusField("NoNewPrivs", in: try output(bundle)), expected, "noNewPrivileges \(flag)")
        }
        assertNoLeaks()
    }

    /// As root, execve makes the permitted and effective sets bounding ∪ inheritable; a config
    /// with effective = permitted = bounding ⊇ inheritable ⊇ ambient is seen unchanged.
    func testCapabilitiesAsRoot() throws {
        let bounding = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_SETUID"]
        let inheritable = ["CAP_KILL", "CAP_NET_BIND_SERVICE"]
        let ambient = ["CAP_NET_BIND_SERVICE"]
        let bundle = try makeBundle(["cat", "/proc/self/status"])
        bundle.config["process.capabilities"] = ["bounding": bounding, "effective": bounding, "permitted": bounding,
                                                 "inheritable": inheritable, "ambient": ambient]
        let sets = Capabilities.sets(fromStatus: try output(bundle))
        let expected = ["CapBnd": bounding, "CapEff": bounding, "CapPrm": bounding,
                        "CapInh": inheritable, "CapAmb": ambient]
        for (key, list) in expected {
            XCTAssertEqual(sets[key], Capabilities.mask(list),
                           "\(key): got \(Capabilities.names(in: sets[key] ?? 0)), want \(list)")
        }
        assertNoLeaks()
    }

    /// A non-root process keeps after execve only its ambient capabilities in the permitted and
    /// effective sets; inheritable and bounding pass through unchanged.
    func testCapabilitiesAsNonRootWithAmbient() throws {
        let bounding = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
        let held = ["CAP_KILL", "CAP_NET_BIND_SERVICE"]
        let ambient = ["CAP_NET_BIND_SERVICE"]
        let bundle = try makeBundle(["cat", "/proc/self/status"])
        bundle.config["process.user"] = ["uid": 1000, "gid": 1000]
        bundle.config["process.capabilities"] = ["bounding": bounding, "effective": held, "permitted": held,
                                                 "inheritable": held, "ambient": ambient]
        let sets = Capabilities.sets(fromStatus: try output(bundle))
        let expected = ["CapBnd": bounding, "CapEff": ambient, "CapPrm": ambient, "CapInh": held, "CapAmb": ambient]
        for (key, list) in expected {
            XCTAssertEqual(sets[key], Capabilities.mask(list),
                           "\(key): got \(Capabilities.names(in: sets[key] ?? 0)), want \(list)")
        }
        assertNoLeaks()
    }

    func testEmptyCapabilitiesDropEverything() throws {
        let bundle = try makeBundle(["cat", "/proc/self/status"])
        bundle.config["process.capabilities"] = [String: Any]()
        let sets = Capabilities.sets(fromStatus: try output(bundle))
        for key in ["CapBnd", "CapEff", "CapPrm", "CapInh", "CapAmb"] {
            XCTAssertEqual(sets[key], 0, "\(key): \(Capabilities.names(in: sets[key] ?? 0))")
        }
        assertNoLeaks()
    }

    func testOomScoreAdj() throws {
        let bundle = try makeBundle(["cat", "/proc/self/oom_score_adj"])
        bundle.config["process.oomScoreAdj"] = 123
        XCTAssertEqual(try output(bundle), "123\n")
        assertNoLeaks()
    }

    func testHostnameAndDomainname() throws {
        let bundle = try makeBundle(["sh", "-c", "hostname; cat /proc/sys/kernel/domainname"])
        bundle.config["hostname"] = "it-host"
        bundle.config["domainname"] = "it.example"
        let hostBefore = Subprocess.read("/proc/sys/kernel/hostname")
        XCTAssertEqual(try output(bundle), "it-host\nit.example\n")
        XCTAssertEqual(Subprocess.read("/proc/sys/kernel/hostname"), hostBefore, "the host's hostname changed")
        assertNoLeaks()
    }

    func testSysctlInNewNetworkAndIPCNamespaces() throws {
        let hostForward = Subprocess.read("/proc/sys/net/ipv4/ip_forward")
        let hostRmid = Subprocess.read("/proc/sys/kernel/shm_rmid_forced")
        let wantForward = hostForward == "1\n" ? "0" : "1"
        let wantRmid = hostRmid == "1\n" ? "0" : "1"
        let bundle = try makeBundle(["cat", "/proc/sys/net/ipv4/ip_forward", "/proc/sys/kernel/shm_rmid_forced"])
        bundle.config["linux.sysctl"] = ["net.ipv4.ip_forward": wantForward, "kernel.shm_rmid_forced": wantRmid]
        XCTAssertEqual(try output(bundle), "\(wantForward)\n\(wantRmid)\n")
        XCTAssertEqual(Subprocess.read("/proc/sys/net/ipv4/ip_forward"), hostForward, "host value changed")
        XCTAssertEqual(Subprocess.read("/proc/sys/kernel/shm_rmid_forced"), hostRmid, "host value changed")
        assertNoLeaks()
    }

    func testPreserveFDs() throws {
        let bundle = try makeBundle(["sh", "-c", "cat <&3; cat <&4; echo; ls /proc/self/fd"])
        try bundle.save()
        let fd3 = try openForReading(contents: "from-fd-3\n", name: "fd3")
        let fd4 = try openForReading(contents: "from-fd-4", name: "fd4")
        defer { close(fd3); close(fd4) }
        let result = try runtime(["run", "--preserve-fds", "2", "--bundle", bundle.path, newID()],
                                 extraFDs: [3: fd3, 4: fd4])
        XCTAssertEqual(result.exitCode, 0, "\(result)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(Array(lines.prefix(2)), ["from-fd-3", "from-fd-4"], "\(result)")
        // ls opens one fd of its own for the directory; no other fd crosses over.
        let fds = Set(lines.dropFirst(2).compactMap { Int($0) })
        XCTAssertTrue(fds.isSuperset(of: [0, 1, 2, 3, 4]), "\(fds)")
        XCTAssertLessThanOrEqual(fds.count, 6, "fds beyond the preserved ones reached the container: \(fds)")
        assertNoLeaks()
    }

    func testFDsBeyondPreservedAreClosed() throws {
        let bundle = try makeBundle(["sh", "-c", "if cat <&3; then echo open; else echo closed; fi"])
        try bundle.save()
        let fd3 = try openForReading(contents: "should-not-be-seen", name: "fd3")
        defer { close(fd3) }
        let result = try runtime(["run", "--bundle", bundle.path, newID()], extraFDs: [3: fd3])
        XCTAssertEqual(result.exitCode, 0, "\(result)")
        XCTAssertEqual(result.stdout, "closed\n", "fd 3 crossed into the container without --preserve-fds")
        assertNoLeaks()
    }

    func testListenFDsArePassedWithSocketActivationEnv() throws {
        // Socket activation: LISTEN_PID must be the runtime's own pid, so a shell sets it and
        // execs the runtime in place.
        let bundle = try makeBundle(["sh", "-c", "echo \"$LISTEN_FDS $LISTEN_PID\"; cat <&3"])
        try bundle.save()
        let fd3 = try openForReading(contents: "listen-data", name: "listen")
        defer { close(fd3) }
        var env = ProcessInfo.processInfo.environment
        env["LISTEN_FDS"] = "1"
        let argv = ["/bin/sh", "-c", "LISTEN_PID=$$ exec \"$0\" \"$@\"", TestEnvironment.runtimePath]
            + globalOptions + ["run", "--bundle", bundle.path, newID()]
        let child = try Subprocess(argv, outputDir: workDir, environment: env, extraFDs: [3: fd3])
        let result = child.wait()
        XCTAssertEqual(result.exitCode, 0, "\(result)")
        XCTAssertEqual(result.stdout, "1 1\nlisten-data", "\(result)")
        assertNoLeaks()
    }

    func testTerminalThroughConsoleSocket() throws {
        let bundle = try makeBundle(["sh", "-c", "tty; stty size; echo hello-tty; exit 5"])
        bundle.config["process.terminal"] = true
        bundle.config["process.consoleSize"] = ["height": 40, "width": 100]
        try bundle.save()
        let socket = try ConsoleSocket(path: workDir + "/console.sock")
        let id = newID()
        let creating = try startRuntime(["create", "--console-socket", socket.path, "--bundle", bundle.path, id])
        let (master, _) = try socket.receiveFD()
        defer { close(master) }
        let created = creating.wait()
        XCTAssertTrue(created.succeeded, "\(created)")
        try start(id)
        let text = ConsoleSocket.readAll(fd: master).replacingOccurrences(of: "\r\n", with: "\n")
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, text)
        XCTAssertTrue(lines.first?.hasPrefix("/dev/pts/") ?? false, text)
        XCTAssertEqual(lines.dropFirst().first, "40 100", "console size: \(text)")
        XCTAssertEqual(lines.last, "hello-tty", text)
        try waitForStatus(id, "stopped")
        try delete(id)
        assertNoLeaks()
    }

    private func openForReading(contents: String, name: String) throws -> Int32 {
        let path = workDir + "/" + name
        try contents.write(toFile: path, atomically: false, encoding: .utf8)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SpawnError(description: "open \(path)") }
        return fd
    }
}
