// runtime-spec 1.1–1.3 additions (personality, ioPriority, scheduler, execCPUAffinity,
// netDevices, idmapped and recursively read-only mounts, seccomp listeners) plus annotations and
// sysctl limits; runc 1.1.5 predates most of them, swiftlet targets spec 1.3.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class NewerSpecFeatureTests: IntegrationTestCase {
    func testPersonality() throws {
        let bundle = try makeBundle(["uname", "-m"])
        bundle.config["linux.personality"] = ["domain": "LINUX32"]
        XCTAssertEqual(try output(bundle), "i686\n")
        assertNoLeaks()
    }

    func testIOPriority() throws {
        let bundle = try makeBundle(["ionice"])
        bundle.config["process.ioPriority"] = ["class": "IOPRIO_CLASS_BE", "priority": 6]
        XCTAssertEqual(try output(bundle), "best-effort: prio 6\n")
        assertNoLeaks()
    }

    func testScheduler() throws {
        let bundle = try makeBundle(["sh", "-c", "grep '^policy' /proc/self/sched; cut -d' ' -f19 /proc/self/stat"])
        bundle.config["process.scheduler"] = ["policy": "SCHED_BATCH", "nice": 7]
        let lines = try output(bundle).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first?.split(separator: ":").last?.trimmingCharacters(in: .whitespaces), "3",
                       "SCHED_BATCH is policy 3: \(lines)")
        XCTAssertEqual(lines.last, "7", "nice: \(lines)")
        assertNoLeaks()
    }

    /// runtime-spec: execCPUAffinity is for processes started by exec, not the init.
    func testExecCPUAffinityOfAnExecProcess() throws {
        let last = ProcessInfo.processInfo.activeProcessorCount - 1
        let bundle = try makeBundle(["sleep", "30"])
        let id = newID()
        let initPID = try create(bundle, id: id)
        try start(id)
        let process: [String: Any] = ["args": ["grep", "^Cpus_allowed_list:", "/proc/self/status"], "cwd": "/",
                                      "env": ["PATH=/bin", "SWIFTLET_IT_TOKEN=\(token)"], "user": ["uid": 0, "gid": 0],
                                      "execCPUAffinity": ["initial": "0", "final": "\(last)"]]
        let file = workDir + "/process.json"
        try JSONSerialization.data(withJSONObject: process).write(to: URL(fileURLWithPath: file))
        let result = try runtime(["exec", "--process", file, id])
        XCTAssertEqual(result.exitCode, 0, "\(result)")
        XCTAssertEqual(statusField("Cpus_allowed_list", in: result.stdout), "\(last)", "\(result)")
        let initAffinity = statusField("Cpus_allowed_list", in: Subprocess.read("/proc/\(initPID)/status"))
        XCTAssertEqual(initAffinity, last == 0 ? "0" : "0-\(last)", "the init's affinity changed")
        try delete(id, force: true)
        assertNoLeaks()
    }

    func testAnnotationsAppearInState() throws {
        let bundle = try makeBundle(["sleep", "30"])
        bundle.config["annotations"] = ["org.example.it": "value/with/slashes", "other": ""]
        let id = newID()
        try create(bundle, id: id)
        XCTAssertEqual(try state(id)["annotations"] as? [String: String],
                       ["org.example.it": "value/with/slashes", "other": ""])
        try delete(id, force: true)
        assertNoLeaks()
    }

    func testSysctlOutsideTheContainersNamespacesIsRefused() throws {
        let before = Subprocess.read("/proc/sys/vm/swappiness")
        let bundle = try makeBundle(["true"])
        bundle.config["linux.sysctl"] = ["vm.swappiness": before.hasPrefix("1") ? "20" : "10"]
        try bundle.save()
        let result = try runtime(["run", "--bundle", bundle.path, newID()])
        XCTAssertNotEqual(result.exitCode, 0, "a host-wide sysctl was accepted: \(result)")
        XCTAssertTrue(result.stderr.contains("vm.swappiness"), "\(result)")
        XCTAssertEqual(Subprocess.read("/proc/sys/vm/swappiness"), before, "the host's vm.swappiness changed")
        assertNoLeaks()
    }

    func testNetDeviceIsMovedInRenamedWithItsAddress() throws {
        // A veth end (this kernel has no dummy driver); its peer stays on the host.
        let hostName = "v" + String(token.suffix(8)), peer = "p" + String(token.suffix(8))
        let add = try host(["ip", "link", "add", hostName, "type", "veth", "peer", "name", peer])
        guard add.succeeded else { return XCTFail("ip link add: \(add)") }
        defer { _ = try? host(["ip", "link", "delete", peer]) }
        XCTAssertTrue(try host(["ip", "addr", "add", "10.123.45.6/24", "dev", hostName]).succeeded)

        let bundle = try makeBundle(["sh", "-c", "ip -o addr show dev it0"])
        bundle.config["linux.netDevices"] = [hostName: ["name": "it0"]]
        let out = try output(bundle)
        XCTAssertTrue(out.contains("it0") && out.contains("10.123.45.6/24"), "inside: \(out)")
        assertNoLeaks()
    }

    /// Files of a host directory owned by host root appear owned by the container's root
    /// through a mount mapped like the container's user namespace; unmapped, as the overflow id.
    func testIDMappedMountInAUserNamespace() throws {
        let hostDir = workDir + "/idmap-src"
        try FileManager.default.createDirectory(atPath: hostDir, withIntermediateDirectories: true)
        chmod(hostDir, 0o755)
        try "x".write(toFile: hostDir + "/file", atomically: false, encoding: .utf8)
        let bundle = try makeBundle(["sh", "-c", "stat -c %u:%g /mnt/mapped/file /mnt/plain/file; "
                                        + "touch /mnt/mapped/new && echo created"])
        for dir in ["mnt/mapped", "mnt/plain"] {
            try FileManager.default.createDirectory(atPath: bundle.rootfs + "/" + dir, withIntermediateDirectories: true)
        }
        bundle.config.setNamespace("user")
        let mapping: [[String: Any]] = [["containerID": 0, "hostID": 100_000, "size": 65536]]
        bundle.config["linux.uidMappings"] = mapping
        bundle.config["linux.gidMappings"] = mapping
        bundle.config.append("mounts", ["destination": "/mnt/mapped", "type": "bind", "source": hostDir,
                                        "options": ["rbind"], "uidMappings": mapping, "gidMappings": mapping])
        bundle.config.addMount(destination: "/mnt/plain", type: "bind", source: hostDir, options: ["rbind"])
        XCTAssertEqual(try output(bundle), "0:0\n65534:65534\ncreated\n")
        var info = stat()
        XCTAssertEqual(stat(hostDir + "/new", &info), 0, "the file made through the mapped mount is missing")
        XCTAssertEqual(info.st_uid, 0, "container root wrote through the idmapped mount as host uid \(info.st_uid)")
        assertNoLeaks()
    }

    func testRecursiveReadOnlyBindMount() throws {
        let source = workDir + "/rro-src"
        try FileManager.default.createDirectory(atPath: source + "/sub", withIntermediateDirectories: true)
        let mount = try host(["mount", "-t", "tmpfs", "tmpfs", source + "/sub"])
        guard mount.succeeded else { return XCTFail("mount: \(mount)") }
        defer { umount2(source + "/sub", Int32(MNT_DETACH)) }

        let bundle = try makeBundle(["sh", "-c", "touch /mnt/r/top 2>/dev/null || echo top-ro; "
                                        + "touch /mnt/r/sub/x 2>/dev/null || echo sub-ro"])
        bundle.config["root.readonly"] = false
        bundle.config.addMount(destination: "/mnt/r", type: "bind", source: source, options: ["rbind", "rro"])
        XCTAssertEqual(try output(bundle), "top-ro\nsub-ro\n")
        umount2(source + "/sub", Int32(MNT_DETACH))
        assertNoLeaks()
    }

    /// The runtime hands the notify fd to the listener with the container's state; once the
    /// listener closes it, notifying syscalls fail with ENOSYS.
    func testSeccompNotifyListenerGetsTheFdAndState() throws {
        let socket = try ConsoleSocket(path: workDir + "/seccomp.sock")
        let bundle = try makeBundle(["sh", "-c", "mkdir /dev/shm/d 2>&1; true"])
        bundle.config["linux.seccomp"] = ["defaultAction": "SCMP_ACT_ALLOW", "listenerPath": socket.path,
                                          "listenerMetadata": "it-metadata",
                                          "syscalls": [["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"]]]
        try bundle.save()
        let id = newID()
        let creating = try startRuntime(["create", "--bundle", bundle.path, id])
        let (fd, payload) = try socket.receiveFD()
        close(fd)
        let created = creating.wait()
        XCTAssertTrue(created.succeeded, "\(created)")
        let message = (try? JSONSerialization.jsonObject(with: Data(payload.utf8))) as? [String: Any] ?? [:]
        XCTAssertEqual(message["fds"] as? [String], ["seccompFd"], payload)
        XCTAssertEqual(message["metadata"] as? String, "it-metadata", payload)
        XCTAssertEqual((message["state"] as? [String: Any])?["id"] as? String, id, payload)
        XCTAssertNotNil(message["ociVersion"] as? String, payload)
        try start(id)
        try waitForStatus(id, "stopped")
        // The detached container wrote into create's stdout file.
        XCTAssertTrue(creating.result.stdout.contains("Function not implemented"), "\(creating.result)")
        try delete(id)
        assertNoLeaks()
    }
}
