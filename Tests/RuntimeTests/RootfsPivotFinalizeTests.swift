#if canImport(Glibc)
import Glibc
#endif
import Linux
import OCISpec
import XCTest
@testable import Runtime

final class RootfsPivotFinalizeTests: XCTestCase {
    let devBind = Mount(destination: "/dev", type: "bind", source: "/dev", options: ["rbind"])

    func testPivotRootTheRuncWay() throws {
        let sys = makeRecordingSyscalls()
        try RootfsSetup(spec: makeSpec([devBind]), bundle: "/bundle", syscalls: sys).pivot(noPivot: false)
        XCTAssertEqual(sys.calls, [
            "chdir /bundle/rootfs",
            "pivot_root . .",
            "chdir /",
            "mount - . - rec|slave",
            "umount2 . 2",
            "chdir /",
        ])
        XCTAssertEqual(sys.openDescriptors, [])
    }

    func testSharedPropagationIsAppliedAfterThePivot() throws {
        let sys = makeRecordingSyscalls()
        var spec = makeSpec([devBind])
        spec.linux?.rootfsPropagation = "rshared"
        try RootfsSetup(spec: spec, bundle: "/bundle", syscalls: sys).pivot(noPivot: false)
        XCTAssertEqual(sys.calls.last, "mount - / - rec|shared")
        // private and slave were applied before the mounts and are not repeated.
        spec.linux?.rootfsPropagation = "rslave"
        let again = makeRecordingSyscalls()
        try RootfsSetup(spec: spec, bundle: "/bundle", syscalls: again).pivot(noPivot: false)
        XCTAssertEqual(again.calls.last, "chdir /")
    }

    func testNoPivotUnmountsTheHostsProcAndSysfsThenMovesTheRoot() throws {
        let sys = makeRecordingSyscalls()
        sys.files["/proc/self/mountinfo"] = """
            22 27 0:21 / /proc rw,relatime - proc proc rw
            23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
            24 27 0:21 /sys /mnt/procsys rw - proc proc rw
            25 27 0:23 / /bundle/rootfs/proc rw - proc proc rw
            26 27 0:24 / /stuck rw - sysfs sysfs rw
            """
        sys.fail("umount2", at: "/stuck", errno: EPERM)
        try RootfsSetup(spec: makeSpec([devBind]), bundle: "/bundle", syscalls: sys).pivot(noPivot: true)
        XCTAssertEqual(sys.calls, [
            "mount - /proc - rec|slave", "umount2 /proc 2",
            "mount - /sys - rec|slave", "umount2 /sys 2",
            "mount - /stuck - rec|slave", "mount tmpfs /stuck tmpfs 0",
            "chdir /bundle/rootfs",
            "mount /bundle/rootfs / - move",
            "chroot .",
            "chdir /",
        ])
    }

    func testNoPivotRefusesPrivatePropagation() {
        var spec = makeSpec([devBind])
        spec.linux?.rootfsPropagation = "rprivate"
        XCTAssertEqual(errorText { try RootfsSetup(spec: spec, bundle: "/bundle", syscalls: makeRecordingSyscalls()).pivot(noPivot: true) },
                       "linux.rootfsPropagation: rootfsPropagation of [r]private is not safe without pivot_root")
    }

    func testWithoutAMountNamespaceItIsAChroot() throws {
        let sys = makeRecordingSyscalls()
        try RootfsSetup(spec: makeSpec([devBind], namespaces: ["pid"]), bundle: "/bundle", syscalls: sys).pivot(noPivot: false)
        XCTAssertEqual(sys.calls, ["chdir /bundle/rootfs", "chroot .", "chdir /"])
    }

    /// `/` is the host's mount then: its propagation and /dev/null are left alone.
    func testWithoutAMountNamespaceNothingButTheChroot() throws {
        let sys = makeRecordingSyscalls()
        var spec = makeSpec([], namespaces: ["pid"])
        spec.linux?.rootfsPropagation = "rshared"
        try RootfsSetup(spec: spec, bundle: "/bundle", syscalls: sys).pivot(noPivot: true)
        XCTAssertEqual(sys.calls, ["chdir /bundle/rootfs", "chroot .", "chdir /"])
    }

    func testPivotFailureNamesTheStage() {
        let sys = makeRecordingSyscalls()
        sys.fail("pivot_root", errno: EINVAL)
        XCTAssertEqual(errorText { try RootfsSetup(spec: makeSpec([devBind]), bundle: "/bundle", syscalls: sys).pivot(noPivot: false) },
                       "pivot_root (/bundle/rootfs): pivot_root .: invalid argument")
    }

    // MARK: finalize (the fake's `/` stands for the container's root after the pivot)

    func finalizeSyscalls() -> RecordingSyscalls {
        let sys = RecordingSyscalls()
        sys.addDevice("/dev/null", mode: FileType.character | 0o666, rdev: DeviceNumber.make(major: 1, minor: 3))
        sys.addFile("/proc/kcore")
        sys.addFile("/proc/keys")
        sys.addDirectory("/proc/acpi")
        sys.addDirectory("/proc/scsi")
        sys.addDirectory("/sys/firmware")
        sys.addDirectory("/proc/sys")
        sys.addFile("/proc/sysrq-trigger")
        sys.filesystems["/proc/sys"] = FilesystemStat(type: FilesystemMagic.proc, flags: StatfsFlag.noSuid | StatfsFlag.noExec | StatfsFlag.relatime)
        return sys
    }

    func testFinalizeReadOnlyRemountsRootReadonlyPathsAndMaskedPaths() throws {
        let sys = finalizeSyscalls()
        var spec = makeSpec([
            Mount(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "ro"]),
            Mount(destination: "/run", type: "tmpfs", source: "tmpfs", options: ["rw"]),
            Mount(destination: "/data", type: "bind", source: "/host", options: ["bind", "ro"]),
            Mount(destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["rro"]),
        ])
        spec.root?.readonly = true
        spec.linux?.readonlyPaths = ["/proc/sys", "/proc/missing", "/proc/sysrq-trigger"]
        spec.linux?.maskedPaths = ["/proc/kcore", "/proc/acpi", "/proc/nothere", "/proc/keys", "/proc/scsi",
                                   "/proc/acpi/", "/sys/firmware"]
        try RootfsSetup(spec: spec, bundle: "/bundle", syscalls: sys).finalize()
        XCTAssertEqual(sys.calls, [
            "mount - /dev - bind|remount|rdonly|nosuid",
            "mount_setattr /tmp flags=0x8000 set=0x1 clear=0x0",
            "mount - / - bind|remount|rdonly",
            // Binds are clones attached by fd; only the read-only flag is set on them.
            "open_tree fd:/proc/sys clone|rec",
            "mount_setattr tree:/proc/sys flags=0x1000 set=0x1 clear=0x0",
            "move_mount tree:/proc/sys fd:/proc/sys",
            "open_tree fd:/proc/sysrq-trigger clone|rec",
            "mount_setattr tree:/proc/sysrq-trigger flags=0x1000 set=0x1 clear=0x0",
            "move_mount tree:/proc/sysrq-trigger fd:/proc/sysrq-trigger",
            "open_tree fd:/dev/null clone",
            "move_mount tree:/dev/null fd:/proc/kcore",
            "mount tmpfs fd:/proc/acpi tmpfs rdonly nr_blocks=1,nr_inodes=1",
            "open_tree fd:/dev/null clone",
            "move_mount tree:/dev/null fd:/proc/keys",
            // Later directories share the first mask.
            "open_tree fd:/proc/acpi clone",
            "move_mount tree:/proc/acpi fd:/proc/scsi",
            "open_tree fd:/proc/acpi clone",
            "move_mount tree:/proc/acpi fd:/sys/firmware",
        ])
        XCTAssertEqual(sys.openDescriptors, [])
    }

    /// Before open_tree(2) (5.2) or mount_setattr(2) (5.12): binds through /proc/self/fd and
    /// a read-only remount, with the flags the path already has kept.
    func testFinalizeBindsTheOldWayWithoutTheNewMountAPI() throws {
        for missing in ["open_tree", "mount_setattr"] {
            let sys = finalizeSyscalls()
            sys.fail(missing, errno: ENOSYS, times: 10)
            var spec = makeSpec([])
            spec.linux?.readonlyPaths = ["/proc/sys"]
            spec.linux?.maskedPaths = ["/proc/kcore", "/proc/acpi", "/sys/firmware"]
            try RootfsSetup(spec: spec, bundle: "/bundle", syscalls: sys).finalize()
            let expectedMasks = missing == "open_tree" ? [
                "mount fd:/dev/null fd:/proc/kcore - bind",
                "mount tmpfs fd:/proc/acpi tmpfs rdonly nr_blocks=1,nr_inodes=1",
                "mount fd:/proc/acpi fd:/sys/firmware - bind",
            ] : [
                // Plain binds need no mount_setattr: they still go by clone.
                "open_tree fd:/dev/null clone",
                "move_mount tree:/dev/null fd:/proc/kcore",
                "mount tmpfs fd:/proc/acpi tmpfs rdonly nr_blocks=1,nr_inodes=1",
                "open_tree fd:/proc/acpi clone",
                "move_mount tree:/proc/acpi fd:/sys/firmware",
            ]
            XCTAssertEqual(sys.calls.filter { !$0.hasPrefix("open_tree fd:/proc/sys") }, [
                "mount fd:/proc/sys fd:/proc/sys - bind|rec",
                "mount - fd:/proc/sys - bind|remount|rdonly|nosuid|noexec",
            ] + expectedMasks, missing)
            XCTAssertEqual(sys.openDescriptors, [], missing)
        }
    }

    func testFinalizeCreatesAMissingCwdBeforeTheRootTurnsReadOnly() throws {
        let sys = RecordingSyscalls()
        sys.addDirectory("/srv")
        var spec = makeSpec([])
        spec.root?.readonly = true
        spec.process = Process()
        spec.process?.cwd = "/srv/new/dir"
        try RootfsSetup(spec: spec, bundle: "/bundle", syscalls: sys).finalize()
        XCTAssertEqual(sys.calls, [
            "mkdir /srv/new 755",
            "mkdir /srv/new/dir 755",
            "mount - / - bind|remount|rdonly",
        ])
    }

    func testMaskFallsBackWhenTheSharedBindOrOneInodeIsRefused() throws {
        let sys = finalizeSyscalls()
        sys.fail("mount", at: "/proc/acpi", errno: EINVAL)
        sys.fail("move_mount", at: "/proc/scsi", errno: EPERM)
        var spec = makeSpec([])
        spec.linux?.maskedPaths = ["/proc/acpi", "/proc/scsi", "/sys/firmware"]
        try RootfsSetup(spec: spec, bundle: "/bundle", syscalls: sys).finalize()
        XCTAssertEqual(sys.calls, [
            "mount tmpfs fd:/proc/acpi tmpfs rdonly nr_blocks=1,nr_inodes=2",
            "open_tree fd:/proc/acpi clone",
            "mount tmpfs fd:/proc/scsi tmpfs rdonly nr_blocks=1,nr_inodes=1",
            "mount tmpfs fd:/sys/firmware tmpfs rdonly nr_blocks=1,nr_inodes=1",
        ])
        XCTAssertEqual(sys.openDescriptors, [])
    }

    func testMaskingNeedsTheRealDevNull() {
        let sys = RecordingSyscalls()
        sys.addFile("/dev/null")
        var spec = makeSpec([])
        spec.linux?.maskedPaths = ["/proc/kcore"]
        XCTAssertEqual(errorText { try RootfsSetup(spec: spec, bundle: "/bundle", syscalls: sys).finalize() },
                       "linux.maskedPaths (/dev/null): /dev/null is not the null device")
    }

    func testRootReadonlyKeepsLockedFlagsWhenRefused() throws {
        let sys = RecordingSyscalls()
        sys.filesystems["/"] = FilesystemStat(type: 0xEF53, flags: StatfsFlag.noSuid | StatfsFlag.noDev | StatfsFlag.relatime)
        sys.fail("mount", at: "/", errno: EPERM)
        var spec = makeSpec([])
        spec.root?.readonly = true
        try RootfsSetup(spec: spec, bundle: "/bundle", syscalls: sys).finalize()
        XCTAssertEqual(sys.calls, ["mount - / - bind|remount|rdonly|nosuid|nodev|relatime"])
    }

    func testBusyReadOnlyRemountIsRetried() throws {
        let sys = RecordingSyscalls()
        sys.fail("mount", at: "/dev", errno: EBUSY, times: 2)
        let spec = makeSpec([Mount(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["ro"])])
        try RootfsSetup(spec: spec, bundle: "/bundle", syscalls: sys).finalize()
        XCTAssertEqual(sys.calls, ["mount - /dev - bind|remount|rdonly"])
    }
}
