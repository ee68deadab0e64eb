// root, mounts, maskedPaths, readonlyPaths, devices, rootfsPropagation and --no-pivot, seen
// from inside the container (its /proc/self/mountinfo, stat of device nodes, failed writes).
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class RootfsTests: IntegrationTestCase {
    /// Mount point -> (fs type, mount options + super options) from /proc/self/mountinfo text.
    private func mounts(_ mountinfo: String) -> [(point: String, type: String, options: Set<String>)] {
        mountinfo.split(separator: "\n").compactMap { line in
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { return nil }
            let left = halves[0].split(separator: " "), right = halves[1].split(separator: " ")
            guard left.count >= 6, right.count >= 3 else { return nil }
            let options = Set((left[5].split(separator: ",") + right[2].split(separator: ",")).map(String.init))
            return (String(left[4]), String(right[0]), options)
        }
    }

    func testReadonlyRootRefusesWrites() throws {
        let bundle = try makeBundle(["sh", "-c", "touch /new-file 2>&1; echo rc=$?; touch /tmp/x && echo tmp-ok"])
        bundle.config["root.readonly"] = true
        bundle.config.addMount(destination: "/tmp", type: "tmpfs", source: "tmpfs")
        let out = try output(bundle)
        XCTAssertTrue(out.contains("Read-only file system"), out)
        XCTAssertTrue(out.contains("rc=1"), out)
        XCTAssertTrue(out.contains("tmp-ok"), "a tmpfs on a read-only root must stay writable: \(out)")
        assertNoLeaks()
    }

    func testWritableRoot() throws {
        let bundle = try makeBundle(["sh", "-c", "echo data > /new-file && cat /new-file"])
        bundle.config["root.readonly"] = false
        XCTAssertEqual(try output(bundle), "data\n")
        XCTAssertEqual(Subprocess.read(bundle.rootfs + "/new-file"), "data\n", "the write did not reach the bundle's rootfs")
        assertNoLeaks()
    }

    func testMountsAreMadeInOrderWithTheirOptions() throws {
        let hostDir = workDir + "/host-ro"
        try FileManager.default.createDirectory(atPath: hostDir, withIntermediateDirectories: true)
        try "from-host\n".write(toFile: hostDir + "/file", atomically: false, encoding: .utf8)
        let hostFile = workDir + "/host-file"
        try "single-file\n".write(toFile: hostFile, atomically: false, encoding: .utf8)

        let bundle = try makeBundle(["sh", "-c", "stat -c %a /mnt/t; cat /mnt/t/ro/file /etc/it-file; "
                                        + "touch /mnt/t/ro/x 2>/dev/null && echo ro-writable; "
                                        + "touch /mnt/t/y && echo tmpfs-writable; cat /proc/self/mountinfo"])
        bundle.config.addMount(destination: "/mnt/t", type: "tmpfs", source: "tmpfs",
                               options: ["nosuid", "size=2m", "mode=1750"])
        // Lands inside the tmpfs above: only correct if mounts are made in order.
        bundle.config.addMount(destination: "/mnt/t/ro", type: "bind", source: hostDir, options: ["rbind", "ro"])
        bundle.config.addMount(destination: "/etc/it-file", type: "bind", source: hostFile, options: ["bind", "ro"])
        let out = try output(bundle)
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertEqual(Array(lines.prefix(3)), ["1750", "from-host", "single-file"], out)
        XCTAssertFalse(out.contains("ro-writable"), "a read-only bind mount accepted a write")
        XCTAssertTrue(out.contains("tmpfs-writable"), out)

        let table = mounts(out)
        let points = table.map(\.point)
        guard let tmpfsIndex = points.firstIndex(of: "/mnt/t"), let bindIndex = points.firstIndex(of: "/mnt/t/ro") else {
            return XCTFail("mounts missing: \(points)")
        }
        XCTAssertLessThan(tmpfsIndex, bindIndex)
        let tmpfs = table[tmpfsIndex]
        XCTAssertEqual(tmpfs.type, "tmpfs")
        XCTAssertTrue(tmpfs.options.isSuperset(of: ["nosuid", "size=2048k", "mode=1750"]), "\(tmpfs.options)")
        XCTAssertTrue(table[bindIndex].options.contains("ro"), "\(table[bindIndex].options)")
        XCTAssertTrue(table.first { $0.point == "/etc/it-file" }?.options.contains("ro") ?? false, points.description)
        assertNoLeaks()
    }

    func testStandardFilesystems() throws {
        let bundle = try makeBundle(["cat", "/proc/self/mountinfo"])
        let table = mounts(try output(bundle))
        let want = ["/proc": "proc", "/dev": "tmpfs", "/dev/pts": "devpts", "/dev/shm": "tmpfs",
                    "/dev/mqueue": "mqueue", "/sys": "sysfs"]
        for (point, type) in want {
            XCTAssertEqual(table.last { $0.point == point }?.type, type, "\(point) in \(table.map(\.point))")
        }
        XCTAssertTrue(table.last { $0.point == "/sys" }?.options.contains("ro") ?? false, "/sys should be ro")
        XCTAssertEqual(table.first?.point, "/", "the first mount is not the root: \(table.map(\.point))")
        XCTAssertFalse(table.contains { $0.point.hasPrefix(workDir) }, "host paths visible inside: \(table.map(\.point))")
        assertNoLeaks()
    }

    func testMaskedPaths() throws {
        let bundle = try makeBundle(["sh", "-c", "ls -A /masked-dir | wc -l; cat /masked-file | wc -c; "
                                        + "cat /proc/kcore | wc -c; echo x > /masked-file && echo masked-writable"])
        try bundle.writeRootfsFile("masked-dir/secret", "secret\n")
        try bundle.writeRootfsFile("masked-file", "secret\n")
        bundle.config["root.readonly"] = false
        bundle.config["linux.maskedPaths"] = ["/masked-dir", "/masked-file", "/proc/kcore", "/does/not/exist"]
        let out = try output(bundle)
        XCTAssertEqual(out.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.prefix(3),
                       ["0", "0", "0"], out)
        XCTAssertFalse(out.contains("secret"), out)
        XCTAssertEqual(Subprocess.read(bundle.rootfs + "/masked-file"), "secret\n", "write went through the mask")
        assertNoLeaks()
    }

    func testReadonlyPaths() throws {
        let bundle = try makeBundle(["sh", "-c", "touch /ro-dir/x 2>&1 || echo ro-refused; "
                                        + "echo 1 > /proc/sys/kernel/shm_rmid_forced 2>/dev/null || echo sys-refused; "
                                        + "touch /other && echo other-ok"])
        try bundle.writeRootfsFile("ro-dir/keep", "")
        bundle.config["root.readonly"] = false
        bundle.config["linux.readonlyPaths"] = ["/ro-dir", "/proc/sys", "/does/not/exist"]
        let out = try output(bundle)
        XCTAssertTrue(out.contains("Read-only file system"), out)
        XCTAssertTrue(out.contains("ro-refused") && out.contains("sys-refused") && out.contains("other-ok"), out)
        assertNoLeaks()
    }

    func testDefaultDevicesAndLinks() throws {
        let nodes = ["null", "zero", "full", "random", "urandom", "tty"]
        let stats = nodes.map { "stat -c '%n %F %t:%T %a' /dev/\($0)" }.joined(separator: "; ")
        let bundle = try makeBundle(["sh", "-c", stats + "; readlink /dev/fd; readlink /dev/stdin; "
                                        + "readlink /dev/stdout; readlink /dev/stderr; readlink /dev/ptmx; "
                                        + "head -c 4 /dev/zero | wc -c; echo x > /dev/null && echo null-ok; "
                                        + "head -c 8 /dev/urandom | wc -c; echo x 2>/dev/null > /dev/full || echo full-refused"])
        let lines = try output(bundle).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let want = ["/dev/null character special file 1:3 666", "/dev/zero character special file 1:5 666",
                    "/dev/full character special file 1:7 666", "/dev/random character special file 1:8 666",
                    "/dev/urandom character special file 1:9 666", "/dev/tty character special file 5:0 666",
                    "/proc/self/fd", "/proc/self/fd/0", "/proc/self/fd/1", "/proc/self/fd/2", "pts/ptmx",
                    "4", "null-ok", "8", "full-refused"]
        XCTAssertEqual(lines, want)
        assertNoLeaks()
    }

    func testLinuxDevicesEntryAndDeviceCgroup() throws {
        let bundle = try makeBundle(["sh", "-c", "stat -c '%F %t:%T %a %u:%g' /dev/it-null /dev/it-mem; "
                                        + "echo x > /dev/it-null && echo it-null-ok; "
                                        + "head -c 1 /dev/it-mem 2>&1 >/dev/null || echo it-mem-refused"])
        bundle.config["linux.devices"] = [
            ["path": "/dev/it-null", "type": "c", "major": 1, "minor": 3, "fileMode": 0o620, "uid": 0, "gid": 1001],
            ["path": "/dev/it-mem", "type": "c", "major": 1, "minor": 1, "fileMode": 0o600, "uid": 0, "gid": 0],
        ]
        // The base config denies every device; allow the new null node, not /dev/mem.
        bundle.config.append("linux.resources.devices", ["allow": true, "type": "c", "major": 1, "minor": 3,
                                                          "access": "rw"] as [String: Any])
        let lines = try output(bundle).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "character special file 1:3 620 0:1001", "\(lines)")
        XCTAssertEqual(lines.dropFirst().first, "character special file 1:1 600 0:0", "\(lines)")
        XCTAssertTrue(lines.contains("it-null-ok"), "\(lines)")
        XCTAssertTrue(lines.contains { $0.contains("Operation not permitted") } && lines.contains("it-mem-refused"),
                      "the device cgroup let /dev/mem be opened: \(lines)")
        assertNoLeaks()
    }

    /// Current runc applies rootfsPropagation to the container's "/" after pivot_root, so the
    /// root mount itself carries it ("slave" is left out: a slave of nothing is just private).
    func testRootfsPropagation() throws {
        for (mode, tag) in [("shared", "shared:"), ("private", nil)] {
            let bundle = try makeBundle(["awk", "$5 == \"/\"", "/proc/self/mountinfo"], name: "bundle-\(mode)")
            bundle.config["linux.rootfsPropagation"] = mode
            let line = try output(bundle)
            let optional = line.components(separatedBy: " - ").first?.split(separator: " ").dropFirst(6) ?? []
            if let tag {
                XCTAssertTrue(optional.contains { $0.hasPrefix(tag) }, "\(mode): root mount is \(line)")
            } else {
                XCTAssertTrue(optional.isEmpty, "\(mode): root mount is \(line)")
            }
        }
        assertNoLeaks()
    }

    func testNoPivot() throws {
        let bundle = try makeBundle(["sh", "-c", "cat /marker; ls /tmp | grep -c \(token) || true"])
        try bundle.writeRootfsFile("marker", "in-rootfs\n")
        let out = try output(bundle, flags: ["--no-pivot"])
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "in-rootfs", out)
        XCTAssertEqual(lines.dropFirst().first, "0", "the host's /tmp is visible with --no-pivot: \(out)")
        assertNoLeaks()
    }

    /// A symlink in the rootfs that points at a host path must be resolved inside the rootfs
    /// (the mount lands there), never followed on the host.
    func testMountDestinationThroughASymlinkStaysInsideTheRootfs() throws {
        let hostTarget = workDir + "/escape"
        let bundle = try makeBundle(["sh", "-c", "stat -f -c %T /mnt/link; grep -c ' \(hostTarget) ' /proc/self/mountinfo"])
        try FileManager.default.createSymbolicLink(atPath: bundle.rootfs + "/mnt/link", withDestinationPath: hostTarget)
        bundle.config["root.readonly"] = false
        bundle.config.addMount(destination: "/mnt/link", type: "tmpfs", source: "tmpfs")
        let out = try output(bundle)
        XCTAssertEqual(out, "tmpfs\n1\n", "the tmpfs is not at the symlink's target inside the container")
        XCTAssertFalse(FileManager.default.fileExists(atPath: hostTarget), "the runtime followed the symlink on the host")
        XCTAssertTrue(FileManager.default.fileExists(atPath: bundle.rootfs + hostTarget), "not created inside the rootfs")
        assertNoLeaks()
    }
}
