// Issue 12's process and linux features on real containers: scheduler, I/O priority, CPU
// affinity, personality, memory policy, --pidfd-socket and netDevices. Each test runs the
// built binary on a busybox bundle and reads the effect back from the host (/proc, ionice,
// ip) or from inside the container. Self-contained on purpose: the helpers below are private
// to these tests (SpecFeatures12Support.swift).
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class SpecFeatures12Tests: XCTestCase {
    private var scratch: F12Scratch!

    override func setUpWithError() throws {
        try super.setUpWithError()
        try F12Environment.requireRunnable()
        scratch = try F12Scratch()
    }

    override func tearDownWithError() throws {
        if let scratch {
            let leftovers = scratch.cleanUp()
            XCTAssertTrue(leftovers.isEmpty, "left behind: \(leftovers)")
        }
        try super.tearDownWithError()
    }

    // MARK: process.scheduler

    func testSchedulerBatchWithNiceIsSetOnInit() throws {
        let bundle = try scratch.bundle(["sleep", "30"]) {
            $0["process.scheduler"] = ["policy": "SCHED_BATCH", "nice": 7]
        }
        let pid = try scratch.create(bundle)
        let stat = try F12Proc.stat(pid)
        XCTAssertEqual(stat.policy, 3, "SCHED_BATCH")
        XCTAssertEqual(stat.nice, 7)
    }

    func testSchedulerFIFOPriority() throws {
        let bundle = try scratch.bundle(["sleep", "30"]) {
            $0["process.scheduler"] = ["policy": "SCHED_FIFO", "priority": 10]
            // With RT group scheduling a new cpu cgroup has no real-time budget of its own.
            if access("/sys/fs/cgroup/cpu/cpu.rt_runtime_us", F_OK) == 0 {
                $0["linux.resources.cpu"] = ["realtimeRuntime": 10000, "realtimePeriod": 1_000_000]
            }
        }
        let pid = try scratch.create(bundle)
        let stat = try F12Proc.stat(pid)
        XCTAssertEqual(stat.policy, 1, "SCHED_FIFO")
        XCTAssertEqual(stat.rtPriority, 10)
    }

    func testSchedulerDeadline() throws {
        let bundle = try scratch.bundle(["sleep", "30"]) {
            $0["process.scheduler"] = ["policy": "SCHED_DEADLINE", "runtime": 10_000_000, "deadline": 30_000_000,
                                       "period": 30_000_000]
        }
        let pid = try scratch.create(bundle)
        XCTAssertEqual(try F12Proc.stat(pid).policy, 6, "SCHED_DEADLINE")
        let sched = try String(contentsOfFile: "/proc/\(pid)/sched", encoding: .utf8)
        XCTAssertNotNil(sched.range(of: #"policy\s+:\s+6\n"#, options: .regularExpression), sched)
    }

    func testSchedulerRefusedByTheKernelFailsCreateNamingTheField() throws {
        // SCHED_ISO is a valid spec value that no upstream kernel implements.
        let bundle = try scratch.bundle(["sleep", "30"]) { $0["process.scheduler"] = ["policy": "SCHED_ISO"] }
        let result = try scratch.createExpectingFailure(bundle)
        XCTAssertTrue(result.stderr.contains("process.scheduler: sched_setattr: invalid argument"), result.stderr)
    }

    func testSchedulerWithUnknownPolicyIsRejectedBeforeAnythingStarts() throws {
        let bundle = try scratch.bundle(["sleep", "30"]) { $0["process.scheduler"] = ["policy": "SCHED_FOO"] }
        let result = try scratch.createExpectingFailure(bundle)
        XCTAssertTrue(result.stderr.contains("process.scheduler.policy"), result.stderr)
    }

    // MARK: process.ioPriority

    func testIOPriorityClasses() throws {
        let cases: [(String, Int, String)] = [
            ("IOPRIO_CLASS_BE", 6, "best-effort: prio 6"), ("IOPRIO_CLASS_RT", 2, "realtime: prio 2"),
            ("IOPRIO_CLASS_IDLE", 0, "idle"),
        ]
        for (ioClass, level, expected) in cases {
            let bundle = try scratch.bundle(["sleep", "30"]) { $0["process.ioPriority"] = ["class": ioClass, "priority": level] }
            let pid = try scratch.create(bundle)
            let ionice = try F12Tool.run(["ionice", "-p", String(pid)])
            XCTAssertEqual(ionice.stdout.trimmingCharacters(in: .whitespacesAndNewlines), expected, "\(ionice)")
            try scratch.delete(bundle.id)
        }
    }

    // MARK: process.execCPUAffinity

    func testContainerInitGetsEveryCPUBackAndIgnoresExecAffinity() throws {
        try F12Environment.requireCPUs(2)
        let everyCPU = try F12Proc.cpusAllowed("self")
        // config.md: execCPUAffinity is not applicable to the container's init process.
        let bundle = try scratch.bundle(["grep", "Cpus_allowed_list", "/proc/self/status"]) {
            $0["process.execCPUAffinity"] = ["initial": "1", "final": "1"]
        }
        // The runtime itself is pinned to CPU 0; its container must not inherit that.
        let result = try scratch.run(bundle, prefix: ["taskset", "-c", "0"])
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(F12Proc.field("Cpus_allowed_list", in: result.stdout), everyCPU, result.stdout)
    }

    func testExecFinalAffinity() throws {
        try F12Environment.requireCPUs(2)
        let bundle = try scratch.bundle(["sleep", "30"]) { $0["process.execCPUAffinity"] = ["final": "1"] }
        let pid = try scratch.create(bundle)
        let exec = try scratch.exec(bundle.id, ["grep", "Cpus_allowed_list", "/proc/self/status"])
        XCTAssertEqual(exec.status, 0, "\(exec)")
        XCTAssertEqual(F12Proc.field("Cpus_allowed_list", in: exec.stdout), "1", exec.stdout)
        XCTAssertEqual(try F12Proc.cpusAllowed(String(pid)), try F12Proc.cpusAllowed("self"), "init keeps every CPU")
    }

    func testExecInitialAffinityStaysWithoutFinal() throws {
        try F12Environment.requireCPUs(2)
        let bundle = try scratch.bundle(["sleep", "30"]) { $0["process.execCPUAffinity"] = ["initial": "0"] }
        _ = try scratch.create(bundle)
        let exec = try scratch.exec(bundle.id, ["grep", "Cpus_allowed_list", "/proc/self/status"])
        XCTAssertEqual(exec.status, 0, "\(exec)")
        // Without final the runtime leaves the affinity alone after the cgroup move; this
        // kernel keeps a requested affinity across it.
        XCTAssertEqual(F12Proc.field("Cpus_allowed_list", in: exec.stdout), "0", exec.stdout)
    }

    func testExecAffinityWithNoUsableCPUFailsNamingTheField() throws {
        let cpu = Int(sysconf(Int32(_SC_NPROCESSORS_CONF))) + 5
        let bundle = try scratch.bundle(["sleep", "30"]) { $0["process.execCPUAffinity"] = ["final": "\(cpu)"] }
        let pid = try scratch.create(bundle)
        let exec = try scratch.exec(bundle.id, ["true"])
        XCTAssertNotEqual(exec.status, 0, "\(exec)")
        XCTAssertTrue(exec.stderr.contains("process.execCPUAffinity.final: sched_setaffinity: invalid argument"), exec.stderr)
        XCTAssertEqual(kill(pid, 0), 0, "a failed exec leaves the container running")
    }

    // MARK: linux.personality

    func testPersonalityLinux32ForInitAndExec() throws {
        guard try F12Tool.run(["uname", "-m"]).stdout.hasPrefix("x86_64") else {
            throw XCTSkip("LINUX32 reads as i686 only on x86_64")
        }
        let bundle = try scratch.bundle(["sh", "-c", "uname -m; sleep 30"]) { $0["linux.personality"] = ["domain": "LINUX32"] }
        _ = try scratch.create(bundle)
        let exec = try scratch.exec(bundle.id, ["uname", "-m"])
        XCTAssertEqual(exec.stdout, "i686\n", "\(exec)")
        let plain = try scratch.bundle(["uname", "-m"]) { $0["linux.personality"] = ["domain": "LINUX"] }
        XCTAssertEqual(try scratch.run(plain).stdout, "x86_64\n")
        let linux32 = try scratch.bundle(["uname", "-m"]) { $0["linux.personality"] = ["domain": "LINUX32"] }
        XCTAssertEqual(try scratch.run(linux32).stdout, "i686\n")
    }

    // MARK: linux.memoryPolicy

    func testMemoryPolicyModesShowInNumaMaps() throws {
        guard access("/proc/self/numa_maps", R_OK) == 0 else { throw XCTSkip("kernel without NUMA") }
        let cases: [([String: Any], String)] = [
            (["mode": "MPOL_BIND", "nodes": "0"], "bind:0"),
            (["mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]], "bind=static:0"),
            (["mode": "MPOL_INTERLEAVE", "nodes": "0"], "interleave:0"),
            (["mode": "MPOL_PREFERRED", "nodes": "0"], "prefer:0"),
            (["mode": "MPOL_LOCAL"], "local"),
        ]
        for (policy, expected) in cases {
            let bundle = try scratch.bundle(["cat", "/proc/self/numa_maps"]) { $0["linux.memoryPolicy"] = policy }
            let result = try scratch.run(bundle)
            XCTAssertEqual(result.status, 0, "\(result)")
            let lines = result.stdout.split(separator: "\n")
            XCTAssertFalse(lines.isEmpty)
            let others = lines.filter { $0.split(separator: " ").dropFirst().first.map(String.init) != expected }
            XCTAssertEqual(others, [], "\(policy): every mapping should show \(expected)")
        }
    }

    func testMemoryPolicyOnAMissingNodeFailsNamingTheField() throws {
        let missing = (0..<64).first { access("/sys/devices/system/node/node\($0)", F_OK) != 0 }!
        let bundle = try scratch.bundle(["true"]) { $0["linux.memoryPolicy"] = ["mode": "MPOL_BIND", "nodes": "\(missing)"] }
        let result = try scratch.createExpectingFailure(bundle)
        XCTAssertTrue(result.stderr.contains("linux.memoryPolicy: set_mempolicy: invalid argument"), result.stderr)
    }

    // MARK: --pidfd-socket

    func testPidfdSocketGetsAUsablePidfdOfInit() throws {
        let socketPath = scratch.dir + "/pidfd.sock"
        let listener = try F12UnixListener(path: socketPath)
        let bundle = try scratch.bundle(["sleep", "30"])
        let pid = try scratch.create(bundle, flags: ["--pidfd-socket", socketPath])
        let (pidfd, payload) = try listener.receiveFD()
        defer { close(pidfd) }
        XCTAssertEqual(payload, "standard")
        let fdinfo = try String(contentsOfFile: "/proc/self/fdinfo/\(pidfd)", encoding: .utf8)
        XCTAssertEqual(F12Proc.field("Pid", in: fdinfo), String(pid), fdinfo)

        XCTAssertEqual(F12Pidfd.sendSignal(pidfd, SIGKILL), 0, "pidfd_send_signal: \(String(cString: strerror(errno)))")
        var ready = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        XCTAssertEqual(poll(&ready, 1, 5000), 1, "the pidfd becomes readable when init exits")
        let state = try F12Tool.run(scratch.runtime(["state", bundle.id]))
        XCTAssertTrue(state.stdout.contains("\"status\": \"stopped\"") || state.stdout.contains("\"status\":\"stopped\""), "\(state)")
    }

    func testExecPidfdSocketGetsAPidfdOfTheExecProcess() throws {
        let socketPath = scratch.dir + "/exec-pidfd.sock"
        let listener = try F12UnixListener(path: socketPath)
        let bundle = try scratch.bundle(["sleep", "30"])
        let initPid = try scratch.create(bundle)
        let exec = try scratch.exec(bundle.id, ["sleep", "20"], flags: ["--detach", "--pidfd-socket", socketPath])
        XCTAssertEqual(exec.status, 0, "\(exec)")
        let (pidfd, payload) = try listener.receiveFD()
        defer { close(pidfd) }
        XCTAssertEqual(payload, "setns")
        let fdinfo = try String(contentsOfFile: "/proc/self/fdinfo/\(pidfd)", encoding: .utf8)
        guard let pid = F12Proc.field("Pid", in: fdinfo).flatMap({ Int32($0) }) else { return XCTFail(fdinfo) }
        XCTAssertNotEqual(pid, initPid)
        let cmdline = try String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)
        XCTAssertEqual(cmdline, "sleep\u{0}20\u{0}")
    }

    func testPidfdSocketThatNobodyListensOnFailsCreate() throws {
        let bundle = try scratch.bundle(["sleep", "30"])
        let result = try scratch.createExpectingFailure(bundle, flags: ["--pidfd-socket", scratch.dir + "/nobody.sock"])
        XCTAssertTrue(result.stderr.contains("--pidfd-socket"), result.stderr)
        XCTAssertTrue(result.stderr.contains("connect"), result.stderr)
    }

    // MARK: linux.netDevices

    func testNetDeviceMovesRenamedWithItsAddressAndUp() throws {
        let (host, peer) = try scratch.vethPair()
        try F12Tool.checked(["ip", "addr", "add", "10.199.12.1/24", "dev", host])
        try F12Tool.checked(["ip", "link", "set", host, "up"])
        let bundle = try scratch.bundle(["sleep", "30"]) { $0["linux.netDevices"] = [host: ["name": "ctr0"]] }
        _ = try scratch.create(bundle)
        XCTAssertNotEqual(try F12Tool.run(["ip", "link", "show", host]).status, 0, "moved off the host")
        let link = try scratch.exec(bundle.id, ["ip", "-o", "link", "show", "ctr0"])
        XCTAssertEqual(link.status, 0, "\(link)")
        XCTAssertNotNil(link.stdout.range(of: #"<[A-Z_,-]*\bUP\b"#, options: .regularExpression), "set up: \(link.stdout)")
        let address = try scratch.exec(bundle.id, ["ip", "-o", "-4", "addr", "show", "ctr0"])
        XCTAssertTrue(address.stdout.contains("inet 10.199.12.1/24"), "\(address)")
        // config-linux.md: never moved back; the namespace's end takes the veth pair with it.
        try scratch.delete(bundle.id)
        XCTAssertTrue(F12Tool.waitUntil(seconds: 10) { (try? F12Tool.run(["ip", "link", "show", peer]))?.status != 0 },
                      "the veth pair goes away with the container's network namespace")
    }

    func testNetDeviceWithATemplateNameGetsOneFromTheKernel() throws {
        let (host, _) = try scratch.vethPair()
        let bundle = try scratch.bundle(["ip", "-o", "link", "show"]) { $0["linux.netDevices"] = [host: ["name": "ct%d"]] }
        let result = try scratch.run(bundle)
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertTrue(result.stdout.contains(": ct0@"), result.stdout)
    }

    func testNetDeviceErrorsNameTheDeviceAndLeaveTheHostAsItWas() throws {
        let missing = try scratch.bundle(["true"]) { $0["linux.netDevices"] = ["f12missing0": [String: Any]()] }
        let noDevice = try scratch.createExpectingFailure(missing)
        XCTAssertTrue(noDevice.stderr.contains("linux.netDevices[\"f12missing0\"]: no network device"), noDevice.stderr)

        let (host, _) = try scratch.vethPair()
        try F12Tool.checked(["ip", "link", "set", host, "up"])
        let clash = try scratch.bundle(["true"]) { $0["linux.netDevices"] = [host: ["name": "lo"]] }
        let result = try scratch.createExpectingFailure(clash)
        XCTAssertTrue(result.stderr.contains("linux.netDevices[\"\(host)\"]"), result.stderr)
        XCTAssertTrue(result.stderr.contains("\"lo\" already exists"), result.stderr)
        let show = try F12Tool.run(["ip", "-o", "link", "show", host])
        XCTAssertEqual(show.status, 0, "still on the host: \(show)")
        XCTAssertTrue(show.stdout.contains(",UP"), "still up: \(show.stdout)")
    }

    // MARK: idmapped mounts

    /// A host directory with files owned by 0, 1000 and 5000, and a tmpfs submount `sub`
    /// holding a root-owned file; the submount is unmounted at the end of the test.
    private func ownedFiles() throws -> String {
        let src = scratch.dir + "/owned"
        try FileManager.default.createDirectory(atPath: src + "/sub", withIntermediateDirectories: true)
        for (name, id) in [("root0", 0), ("u1000", 1000), ("u5000", 5000)] {
            FileManager.default.createFile(atPath: src + "/" + name, contents: nil)
            chown(src + "/" + name, uid_t(id), gid_t(id))
        }
        try F12Tool.checked(["mount", "-t", "tmpfs", "f12sub", src + "/sub"])
        addTeardownBlock { _ = try? F12Tool.run(["umount", "-l", src + "/sub"]) }
        FileManager.default.createFile(atPath: src + "/sub/f", contents: nil)
        return src
    }

    private func owners(_ output: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 3 { result[String(parts[0])] = "\(parts[1]):\(parts[2])" }
        }
        return result
    }

    func testIdmappedBindShowsFileOwnersThroughTheMountsMappings() throws {
        let src = try ownedFiles()
        let bundle = try scratch.bundle(["sh", "-c", "stat -c '%n %u %g' /mnt/a/root0 /mnt/a/u1000 /mnt/a/u5000 /mnt/b/root0"]) {
            var mounts = $0["mounts"] as? [[String: Any]] ?? []
            mounts.append(["destination": "/mnt/a", "type": "bind", "source": src, "options": ["bind", "idmap"],
                           "uidMappings": [["containerID": 0, "hostID": 2000, "size": 2000]],
                           "gidMappings": [["containerID": 0, "hostID": 3000, "size": 2000]]])
            mounts.append(["destination": "/mnt/b", "type": "bind", "source": src, "options": ["bind"]])
            $0["mounts"] = mounts
        }
        let result = try scratch.run(bundle)
        XCTAssertEqual(result.status, 0, "\(result)")
        XCTAssertEqual(owners(result.stdout), [
            "/mnt/a/root0": "2000:3000", "/mnt/a/u1000": "3000:4000", "/mnt/a/u5000": "65534:65534",
            "/mnt/b/root0": "0:0",
        ], result.stdout)
        var info = stat()
        XCTAssertEqual(stat(src + "/u1000", &info), 0)
        XCTAssertEqual(info.st_uid, 1000, "the files themselves are untouched")
    }

    func testIdmapWithoutMappingsUsesTheContainersUserNamespaceAndRidmapReachesSubmounts() throws {
        let src = try ownedFiles()
        for (option, submountOwner) in [("idmap", "65534:65534"), ("ridmap", "0:0")] {
            let bundle = try scratch.bundle(["sh", "-c", "stat -c '%n %u %g' /mnt/a/root0 /mnt/a/u1000 /mnt/a/sub/f /mnt/b/root0"]) {
                var mounts = $0["mounts"] as? [[String: Any]] ?? []
                mounts.append(["destination": "/mnt/a", "type": "bind", "source": src, "options": ["rbind", option]])
                // rbind: in a user namespace a bind may not uncover what the submount hides.
                mounts.append(["destination": "/mnt/b", "type": "bind", "source": src, "options": ["rbind"]])
                $0["mounts"] = mounts
                var namespaces = $0["linux.namespaces"] as? [[String: Any]] ?? []
                namespaces.append(["type": "user"])
                $0["linux.namespaces"] = namespaces
                $0["linux.uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
                $0["linux.gidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
            }
            let result = try scratch.run(bundle)
            XCTAssertEqual(result.status, 0, "\(option): \(result)")
            XCTAssertEqual(owners(result.stdout), [
                "/mnt/a/root0": "0:0", "/mnt/a/u1000": "1000:1000", "/mnt/a/sub/f": submountOwner,
                "/mnt/b/root0": "65534:65534",
            ], "\(option): \(result.stdout)")
        }
    }

    func testIdmappedMountOfAMissingSourceFailsNamingTheMount() throws {
        let bundle = try scratch.bundle(["true"]) {
            var mounts = $0["mounts"] as? [[String: Any]] ?? []
            mounts.append(["destination": "/mnt/a", "type": "bind", "source": "/nonexistent-f12", "options": ["bind", "idmap"],
                           "uidMappings": [["containerID": 0, "hostID": 2000, "size": 10]],
                           "gidMappings": [["containerID": 0, "hostID": 2000, "size": 10]]])
            $0["mounts"] = mounts
        }
        let index = try scratch.configMountCount(bundle) - 1
        let result = try scratch.createExpectingFailure(bundle)
        XCTAssertTrue(result.stderr.contains("mounts[\(index)]: open_tree /nonexistent-f12: no such file or directory"), result.stderr)
    }

    // MARK: features

    func testFeaturesListMemoryPolicyNetDevicesAndIdmap() throws {
        let result = try F12Tool.run([F12Environment.runtimePath, "features"])
        XCTAssertEqual(result.status, 0, "\(result)")
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let linux = json?["linux"] as? [String: Any]
        let policy = linux?["memoryPolicy"] as? [String: Any]
        XCTAssertEqual(Set(policy?["modes"] as? [String] ?? []), [
            "MPOL_DEFAULT", "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE", "MPOL_PREFERRED",
            "MPOL_PREFERRED_MANY", "MPOL_LOCAL",
        ])
        XCTAssertEqual(Set(policy?["flags"] as? [String] ?? []),
                       ["MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES"])
        XCTAssertEqual((linux?["netDevices"] as? [String: Any])?["enabled"] as? Bool, true)
        let idmap = (linux?["mountExtensions"] as? [String: Any])?["idmap"] as? [String: Any]
        XCTAssertEqual(idmap?["enabled"] as? Bool, true)
        let options = json?["mountOptions"] as? [String] ?? []
        XCTAssertTrue(options.contains("idmap") && options.contains("ridmap"), "\(options)")
    }
}
