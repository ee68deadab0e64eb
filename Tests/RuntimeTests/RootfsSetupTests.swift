// The order of a rootfs setup, against RecordingSyscalls: which calls, with which flags, and
// which fallbacks, without root.
#if canImport(Glibc)
import Glibc
#endif
import Linux
import OCISpec
import XCTest
@testable import Runtime

/// A bundle at /bundle with a rootfs of a few directories, plus host sources under /host.
func makeRecordingSyscalls(userNamespace: Bool = false) -> RecordingSyscalls {
    let sys = RecordingSyscalls()
    for dir in ["bin", "etc", "proc", "sys", "dev", "tmp"] { sys.addDirectory("/bundle/rootfs/" + dir) }
    sys.addDirectory("/host/data")
    sys.addFile("/host/file")
    sys.addDevice("/dev/null", mode: FileType.character | 0o666, rdev: DeviceNumber.make(major: 1, minor: 3))
    sys.files["/proc/self/uid_map"] = userNamespace ? "0 1000 1\n" : "         0          0 4294967295\n"
    return sys
}

func makeSpec(_ mounts: [Mount], namespaces: [String] = ["mount", "pid"]) -> Spec {
    var spec = Spec()
    spec.root = Root(path: "rootfs")
    spec.mounts = mounts
    spec.linux = OCISpec.Linux()
    spec.linux?.namespaces = namespaces.map { LinuxNamespace(type: $0) }
    return spec
}

/// The error `body` throws, as text (XCTFail when it throws none).
func errorText(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> String {
    do {
        try body()
        XCTFail("no error", file: file, line: line)
        return ""
    } catch {
        return "\(error)"
    }
}

final class RootfsSetupTests: XCTestCase {
    let devBind = Mount(destination: "/dev", type: "bind", source: "/dev", options: ["rbind"])

    func mountCalls(_ sys: RecordingSyscalls) -> [String] {
        sys.calls.filter { $0.hasPrefix("mount") || $0.hasPrefix("mkdir") || $0.hasPrefix("create") }
    }

    func testPrepareOrderForProcTmpfsAndReadOnlyBind() throws {
        let sys = makeRecordingSyscalls()
        let spec = makeSpec([
            Mount(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"]),
            Mount(destination: "/run", type: "tmpfs", source: "tmpfs", options: ["nosuid", "ro", "size=1m"]),
            Mount(destination: "/data", type: "bind", source: "/host/data", options: ["rbind", "ro", "nosuid", "rprivate"]),
        ])
        let setup = RootfsSetup(spec: spec, bundle: "/bundle", syscalls: sys)
        XCTAssertTrue(setup.setsUpDev)
        try setup.prepare()
        XCTAssertEqual(Array(mountCalls(sys).prefix(9)), [
            "mount - / - rec|slave",
            "mount /bundle/rootfs /bundle/rootfs bind bind|rec",
            "mount proc fd:/bundle/rootfs/proc proc nosuid|nodev|noexec",
            "mkdir /bundle/rootfs/run 755",
            // ro waits for finalize(): a tmpfs may still be written to.
            "mount tmpfs fd:/bundle/rootfs/run tmpfs nosuid size=1m",
            "mkdir /bundle/rootfs/data 755",
            "mount /host/data fd:/bundle/rootfs/data bind bind|rec",
            "mount - fd:/bundle/rootfs/data - bind|remount|rdonly|nosuid",
            "mount - fd:/bundle/rootfs/data - rec|private",
        ])
        XCTAssertEqual(sys.calls.last, "chdir /bundle/rootfs")
        XCTAssertEqual(sys.openDescriptors, [])
    }

    func testParentMountOfTheRootfsIsFoundByWalkingUp() throws {
        let sys = makeRecordingSyscalls()
        sys.fail("mount", at: "/bundle/rootfs", errno: EINVAL)
        sys.fail("mount", at: "/bundle", errno: EINVAL)
        // Shared: the parent mount must be unshared for pivot_root.
        var spec = makeSpec([devBind])
        spec.linux?.rootfsPropagation = "rshared"
        try RootfsSetup(spec: spec, bundle: "/bundle", syscalls: sys).prepare()
        XCTAssertEqual(Array(mountCalls(sys).prefix(3)), [
            "mount - / - rec|shared", "mount - / - private", "mount /bundle/rootfs /bundle/rootfs bind bind|rec",
        ])
    }

    func testRootfsPropagationIsUsedForTheTreeAndSlaveForTheParent() throws {
        // A shared or non-recursive propagation leaves the rootfs's parent mount to unshare.
        for (value, tree, parent) in [("rshared", "rec|shared", "private"), ("private", "private", "private"),
                                      ("slave", "slave", "slave")] {
            let sys = makeRecordingSyscalls()
            var spec = makeSpec([devBind])
            spec.linux?.rootfsPropagation = value
            try RootfsSetup(spec: spec, bundle: "/bundle", syscalls: sys).prepare()
            XCTAssertEqual(Array(mountCalls(sys).prefix(2)), ["mount - / - \(tree)", "mount - /bundle/rootfs - \(parent)"], value)
        }
        // A recursive slave, private or unbindable one leaves nothing shared: the bind comes next.
        for (value, tree) in [("rslave", "rec|slave"), ("rprivate", "rec|private"), ("runbindable", "rec|unbindable")] {
            let sys = makeRecordingSyscalls()
            var spec = makeSpec([devBind])
            spec.linux?.rootfsPropagation = value
            try RootfsSetup(spec: spec, bundle: "/bundle", syscalls: sys).prepare()
            XCTAssertEqual(Array(mountCalls(sys).prefix(2)), ["mount - / - \(tree)", "mount /bundle/rootfs /bundle/rootfs bind bind|rec"], value)
        }
        var spec = makeSpec([])
        spec.linux?.rootfsPropagation = "sideways"
        XCTAssertEqual(errorText { try RootfsSetup(spec: spec, bundle: "/b", syscalls: makeRecordingSyscalls()).prepare() },
                       "linux.rootfsPropagation: rootfsPropagation=sideways is not supported")
    }

    func testBindOfAFileCreatesAnEmptyFileAndRelativeSourcesAreInTheBundle() throws {
        let sys = makeRecordingSyscalls()
        sys.addFile("/bundle/hosts")
        try RootfsSetup(spec: makeSpec([
            devBind,
            Mount(destination: "/etc/hostname", type: "bind", source: "/host/file", options: ["bind"]),
            Mount(destination: "/etc/hosts", type: "none", source: "hosts", options: ["bind", "rprivate"]),
        ]), bundle: "/bundle", syscalls: sys).prepare()
        let calls = mountCalls(sys).drop { !$0.contains("hostname") }
        XCTAssertEqual(Array(calls), [
            "create /bundle/rootfs/etc/hostname 644",
            // No flags: no remount.
            "mount /host/file fd:/bundle/rootfs/etc/hostname bind bind",
            "create /bundle/rootfs/etc/hosts 644",
            "mount /bundle/hosts fd:/bundle/rootfs/etc/hosts bind bind",
            "mount - fd:/bundle/rootfs/etc/hosts - rec|private",
        ])
    }

    func testClearingOnlyFlagsStillRemount() throws {
        let sys = makeRecordingSyscalls()
        try RootfsSetup(spec: makeSpec([devBind, Mount(destination: "/data", type: "bind", source: "/host/data",
                                                       options: ["bind", "rw", "exec"])]),
                        bundle: "/bundle", syscalls: sys).prepare()
        XCTAssertEqual(mountCalls(sys).last, "mount - fd:/bundle/rootfs/data - bind|remount")
    }

    func testRefusedRemountIsRetriedWithTheSourcesLockedFlags() throws {
        let sys = makeRecordingSyscalls()
        sys.filesystems["/host/data"] = FilesystemStat(type: 0xEF53, flags: StatfsFlag.noDev | StatfsFlag.noExec | StatfsFlag.relatime)
        sys.fail("mount", at: "/bundle/rootfs/data", errno: EPERM, after: 1)
        try RootfsSetup(spec: makeSpec([devBind, Mount(destination: "/data", type: "bind", source: "/host/data",
                                                       options: ["bind", "ro"])]),
                        bundle: "/bundle", syscalls: sys).prepare()
        XCTAssertEqual(mountCalls(sys).suffix(2), [
            "mount /host/data fd:/bundle/rootfs/data bind bind",
            "mount - fd:/bundle/rootfs/data - bind|remount|rdonly|nodev|noexec|relatime",
        ])
    }

    func testLockedFlagsAskedToBeClearedAreAnError() {
        let sys = makeRecordingSyscalls()
        sys.filesystems["/host/data"] = FilesystemStat(type: 0xEF53, flags: StatfsFlag.noDev | StatfsFlag.relatime)
        sys.fail("mount", at: "/bundle/rootfs/data", errno: EPERM, after: 1)
        let spec = makeSpec([devBind, Mount(destination: "/data", type: "bind", source: "/host/data", options: ["bind", "ro", "dev"])])
        XCTAssertEqual(errorText { try RootfsSetup(spec: spec, bundle: "/bundle", syscalls: sys).prepare() },
                       "mounts[1] (bind /host/data on /data): cannot clear locked flags nodev: remount: operation not permitted")
    }

    func testLockedAtimeCannotChange() {
        let sys = makeRecordingSyscalls()
        sys.filesystems["/host/data"] = FilesystemStat(type: 0xEF53, flags: StatfsFlag.relatime)
        sys.fail("mount", at: "/bundle/rootfs/data", errno: EPERM, after: 1)
        let spec = makeSpec([devBind, Mount(destination: "/data", type: "bind", source: "/host/data", options: ["bind", "noatime"])])
        XCTAssertTrue(errorText { try RootfsSetup(spec: spec, bundle: "/bundle", syscalls: sys).prepare() }
            .contains("cannot change locked atime flags relatime"))
    }

    func testRecursiveAttributesGoThroughMountSetattr() throws {
        let sys = makeRecordingSyscalls()
        try RootfsSetup(spec: makeSpec([devBind, Mount(destination: "/data", type: "bind", source: "/host/data",
                                                       options: ["rbind", "rro", "rnoatime"])]),
                        bundle: "/bundle", syscalls: sys).prepare()
        XCTAssertEqual(sys.calls.filter { $0.hasPrefix("mount_setattr") && $0.contains("data") },
                       ["mount_setattr fd:/bundle/rootfs/data flags=0x8000 set=0x11 clear=0x70"])
    }

    func testTmpfsOverAnExistingDirectoryKeepsItsMode() throws {
        let sys = makeRecordingSyscalls()
        sys.addDirectory("/bundle/rootfs/tmp", mode: 0o1777)
        try RootfsSetup(spec: makeSpec([devBind, Mount(destination: "/tmp", type: "tmpfs", source: "tmpfs",
                                                       options: ["nosuid", "size=1m"])]),
                        bundle: "/bundle", syscalls: sys).prepare()
        XCTAssertEqual(mountCalls(sys).last, "mount tmpfs fd:/bundle/rootfs/tmp tmpfs nosuid mode=1777,size=1m")
    }

    func testMountErrorsNameTheStageIndexAndMount() {
        let sys = makeRecordingSyscalls()
        sys.fail("mount", at: "/bundle/rootfs/run", errno: EINVAL)
        let spec = makeSpec([devBind, Mount(destination: "/run", type: "tmpfs", source: "tmpfs")])
        XCTAssertEqual(errorText { try RootfsSetup(spec: spec, bundle: "/bundle", syscalls: sys).prepare() },
                       "mounts[1] (tmpfs on /run): mount: invalid argument")
        XCTAssertEqual(sys.openDescriptors, [])
    }

    func testMissingBindSourceIsAnError() {
        let spec = makeSpec([devBind, Mount(destination: "/x", type: "bind", source: "/nowhere", options: ["bind"])])
        XCTAssertEqual(errorText { try RootfsSetup(spec: spec, bundle: "/bundle", syscalls: makeRecordingSyscalls()).prepare() },
                       "mounts[1] (bind /nowhere on /x): fstatat /nowhere: no such file or directory")
    }

    func testNothingButProcGoesOnOrInsideProc() throws {
        let cases: [(Mount, String?)] = [
            (Mount(destination: "/proc", type: "tmpfs", source: "tmpfs"), "\"/proc\" cannot be mounted because it is not of type proc"),
            (Mount(destination: "/proc/sys/x", type: "tmpfs", source: "tmpfs"), "\"/proc/sys/x\" cannot be mounted because it is inside /proc"),
            (Mount(destination: "/proc/cpuinfo", type: "bind", source: "/host/file", options: ["bind"]), nil),
            (Mount(destination: "/proc/../proc/uptime", type: "bind", source: "/host/file", options: ["bind"]), nil),
        ]
        for (mount, expected) in cases {
            let sys = makeRecordingSyscalls()
            let setup = RootfsSetup(spec: makeSpec([devBind, mount]), bundle: "/bundle", syscalls: sys)
            if let expected {
                XCTAssertTrue(errorText { try setup.prepare() }.hasSuffix(expected), mount.destination)
            } else {
                XCTAssertNoThrow(try setup.prepare(), mount.destination)
            }
        }
    }

    func testProcAndSysfsRefuseASymlinkedDestination() {
        let sys = makeRecordingSyscalls()
        sys.addSymlink("/bundle/rootfs/sys", target: "/host/data")
        let spec = makeSpec([devBind, Mount(destination: "/sys", type: "sysfs", source: "sysfs")])
        XCTAssertEqual(errorText { try RootfsSetup(spec: spec, bundle: "/bundle", syscalls: sys).prepare() },
                       "mounts[1] (sysfs on /sys): filesystem \"sysfs\" must be mounted on ordinary directory")
    }

    func testSymlinkedDestinationIsResolvedInsideTheRootfs() throws {
        let sys = makeRecordingSyscalls()
        sys.addSymlink("/bundle/rootfs/mnt", target: "/host/data")
        sys.addSymlink("/bundle/rootfs/up", target: "../../../host/data")
        try RootfsSetup(spec: makeSpec([
            devBind,
            Mount(destination: "/mnt", type: "bind", source: "/host/data", options: ["bind"]),
            Mount(destination: "/up", type: "bind", source: "/host/data", options: ["bind"]),
        ]), bundle: "/bundle", syscalls: sys).prepare()
        // Both the absolute and the climbing symlink land on <rootfs>/host/data, made on demand.
        XCTAssertEqual(mountCalls(sys).suffix(4), [
            "mkdir /bundle/rootfs/host 755",
            "mkdir /bundle/rootfs/host/data 755",
            "mount /host/data fd:/bundle/rootfs/host/data bind bind",
            "mount /host/data fd:/bundle/rootfs/host/data bind bind",
        ])
        XCTAssertFalse(sys.calls.contains { $0.contains("fd:/host") })
    }

    func testMountOnTheRootfsItselfIsRefused() {
        let spec = makeSpec([devBind, Mount(destination: "/..", type: "tmpfs", source: "tmpfs")])
        XCTAssertEqual(errorText { try RootfsSetup(spec: spec, bundle: "/bundle", syscalls: makeRecordingSyscalls()).prepare() },
                       "mounts[1] (tmpfs on /): mountpoint / is the top of the rootfs")
    }

    func testIdmappedMountsWithoutAPreparedSourceAreRefusedByName() {
        var mount = Mount(destination: "/data", type: "bind", source: "/host/data", options: ["rbind"])
        mount.uidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)]
        for m in [mount, Mount(destination: "/data", type: "bind", source: "/host/data", options: ["rbind", "idmap"])] {
            XCTAssertEqual(errorText { try RootfsSetup(spec: makeSpec([m]), bundle: "/bundle", syscalls: makeRecordingSyscalls()).prepare() },
                           "mounts[0] (bind /host/data on /data): no idmapped mount of /host/data was prepared by the runtime")
        }
    }

    func testCopyUpCopiesEveryKindOfEntryWithOwnerAndMode() throws {
        // The fake has no mounts hiding directories, so the copy goes between two directories.
        let sys = RecordingSyscalls()
        sys.addFile("/src/passwd", mode: 0o644)
        sys.addDirectory("/src/ssl", mode: 0o700, uid: 5, gid: 6)
        sys.addFile("/src/ssl/key", mode: 0o4755)
        sys.addSymlink("/src/localtime", target: "/usr/share/zoneinfo/UTC")
        sys.addDevice("/src/null", mode: FileType.character | 0o666, rdev: DeviceNumber.make(major: 1, minor: 3))
        sys.addDirectory("/dst")
        let root = try RootHandle(opening: "/", syscalls: sys)
        let mounter = SpecMounter(sys: sys, root: root, userNamespace: false, cgroupNamespace: false)
        let from = try sys.openat(AtFlag.fdcwd, "/src", flags: OpenFlag.directory, mode: 0)
        let to = try sys.openat(AtFlag.fdcwd, "/dst", flags: OpenFlag.path | OpenFlag.directory, mode: 0)
        try mounter.copyTree(from: from, to: to)
        sys.close(from)
        sys.close(to)
        root.close()
        XCTAssertEqual(sys.calls, [
            "symlink /dst/localtime -> /usr/share/zoneinfo/UTC",
            "chown /dst/localtime 0:0",
            "mknod /dst/null 20666 1:3",
            "chown /dst/null 0:0",
            "chmod /dst/null 666",
            "create /dst/passwd 600",
            "copy /src/passwd -> /dst/passwd",
            "chown /dst/passwd 0:0",
            "chmod /dst/passwd 644",
            "mkdir /dst/ssl 700",
            "create /dst/ssl/key 600",
            "copy /src/ssl/key -> /dst/ssl/key",
            "chown /dst/ssl/key 0:0",
            // setuid survives: chmod comes after chown.
            "chmod /dst/ssl/key 4755",
            "chown /dst/ssl 5:6",
            "chmod /dst/ssl 700",
        ])
        XCTAssertEqual(sys.openDescriptors, [])
    }
}
