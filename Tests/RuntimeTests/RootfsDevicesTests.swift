#if canImport(Glibc)
import Glibc
#endif
import Linux
import OCISpec
import XCTest
@testable import Runtime

final class RootfsDevicesTests: XCTestCase {
    func device(_ path: String, _ type: String, _ major: Int64, _ minor: Int64, mode: UInt32? = nil,
                uid: UInt32? = nil, gid: UInt32? = nil) -> LinuxDevice {
        var d = LinuxDevice()
        d.path = path; d.type = type; d.major = major; d.minor = minor
        d.fileMode = mode; d.uid = uid; d.gid = gid
        return d
    }

    func devCalls(_ sys: RecordingSyscalls) -> [String] {
        sys.calls.filter { $0.contains("/bundle/rootfs/dev") }
    }

    func testDefaultDevicesPtmxAndLinks() throws {
        let sys = makeRecordingSyscalls()
        sys.addFile("/proc/kcore")
        sys.addFile("/bundle/rootfs/dev/ptmx")
        try RootfsSetup(spec: makeSpec([]), bundle: "/bundle", syscalls: sys).prepare()
        // Made with the umask cleared and by their owner: no chmod or chown follows.
        var expected: [String] = []
        for (name, major, minor) in [("null", 1, 3), ("random", 1, 8), ("full", 1, 7), ("tty", 5, 0),
                                     ("zero", 1, 5), ("urandom", 1, 9)] {
            expected += ["mknod /bundle/rootfs/dev/\(name) 20666 \(major):\(minor)"]
        }
        expected += [
            "unlink /bundle/rootfs/dev/ptmx",
            "symlink /bundle/rootfs/dev/ptmx -> pts/ptmx",
            "symlink /bundle/rootfs/dev/fd -> /proc/self/fd",
            "symlink /bundle/rootfs/dev/stdin -> /proc/self/fd/0",
            "symlink /bundle/rootfs/dev/stdout -> /proc/self/fd/1",
            "symlink /bundle/rootfs/dev/stderr -> /proc/self/fd/2",
            "symlink /bundle/rootfs/dev/core -> /proc/kcore",
        ]
        XCTAssertEqual(devCalls(sys), expected)
        XCTAssertEqual(sys.openDescriptors, [])
    }

    func testLinuxDevicesOverrideDefaultsAndKeepModeAndOwner() throws {
        let sys = makeRecordingSyscalls()
        var spec = makeSpec([])
        spec.linux?.devices = [
            device("/dev/null", "c", 1, 3, mode: 0o600, uid: 7, gid: 8),
            device("/dev/fuse", "c", 10, 229, mode: 0o20660),
            device("/dev/disk/sda", "b", 8, 0),
            device("/dev/ptmx", "c", 5, 2),
        ]
        try RootfsSetup(spec: spec, bundle: "/bundle", syscalls: sys).prepare()
        let calls = devCalls(sys)
        XCTAssertEqual(calls.filter { $0.hasPrefix("mknod") }, [
            "mknod /bundle/rootfs/dev/random 20666 1:8", "mknod /bundle/rootfs/dev/full 20666 1:7",
            "mknod /bundle/rootfs/dev/tty 20666 5:0", "mknod /bundle/rootfs/dev/zero 20666 1:5",
            "mknod /bundle/rootfs/dev/urandom 20666 1:9",
            "mknod /bundle/rootfs/dev/null 20600 1:3",
            // The type bits in fileMode are dropped; the device's type is from `type`.
            "mknod /bundle/rootfs/dev/fuse 20660 10:229",
            "mknod /bundle/rootfs/dev/disk/sda 60666 8:0",
        ])
        XCTAssertTrue(calls.contains("chown /bundle/rootfs/dev/null 7:8"))
        XCTAssertTrue(calls.contains("mkdir /bundle/rootfs/dev/disk 755"))
        XCTAssertTrue(calls.contains("symlink /bundle/rootfs/dev/ptmx -> pts/ptmx"))
    }

    func testANodeMadeWithOtherPermissionsIsChmodded() throws {
        let sys = makeRecordingSyscalls()
        sys.creationMask = 0o022
        var spec = makeSpec([])
        spec.linux?.devices = [device("/dev/fuse", "c", 10, 229, mode: 0o640)]
        try RootfsSetup(spec: spec, bundle: "/bundle", syscalls: sys).prepare()
        let calls = devCalls(sys)
        XCTAssertTrue(calls.contains("chmod /bundle/rootfs/dev/null 666"))
        // 0640 survives a 022 mask: nothing to put right.
        XCTAssertFalse(calls.contains { $0.hasPrefix("chmod /bundle/rootfs/dev/fuse") })
        XCTAssertFalse(calls.contains { $0.hasPrefix("chown") })
    }

    func testBadDeviceTypeNamesTheField() {
        var spec = makeSpec([])
        spec.linux?.devices = [device("/dev/x", "q", 1, 1)]
        XCTAssertEqual(errorText { try RootfsSetup(spec: spec, bundle: "/bundle", syscalls: makeRecordingSyscalls()).prepare() },
                       "devices: linux.devices[0].type: \"q\" is not a valid device type for device /dev/x")
    }

    func testInAUserNamespaceDevicesAreBoundFromTheHost() throws {
        let sys = makeRecordingSyscalls(userNamespace: true)
        try RootfsSetup(spec: makeSpec([]), bundle: "/bundle", syscalls: sys).prepare()
        let calls = devCalls(sys)
        XCTAssertFalse(calls.contains { $0.hasPrefix("mknod") })
        XCTAssertEqual(Array(calls.prefix(4)), [
            "create /bundle/rootfs/dev/null 0",
            "mount /dev/null fd:/bundle/rootfs/dev/null bind bind",
            "create /bundle/rootfs/dev/random 0",
            "mount /dev/random fd:/bundle/rootfs/dev/random bind bind",
        ])
    }

    func testAUserNamespaceInTheSpecAlsoBinds() throws {
        let sys = makeRecordingSyscalls()
        try RootfsSetup(spec: makeSpec([], namespaces: ["mount", "user"]), bundle: "/bundle", syscalls: sys).prepare()
        XCTAssertTrue(devCalls(sys).contains("mount /dev/tty fd:/bundle/rootfs/dev/tty bind bind"))
    }

    func testRefusedMknodFallsBackToABind() throws {
        let sys = makeRecordingSyscalls()
        sys.fail("mknodat", at: "/bundle/rootfs/dev/tty", errno: EPERM)
        try RootfsSetup(spec: makeSpec([]), bundle: "/bundle", syscalls: sys).prepare()
        let calls = devCalls(sys)
        XCTAssertTrue(calls.contains("mount /dev/tty fd:/bundle/rootfs/dev/tty bind bind"))
        XCTAssertTrue(calls.contains("mknod /bundle/rootfs/dev/zero 20666 1:5"))
    }

    func testAnExistingNodeIsLeftAlone() throws {
        let sys = makeRecordingSyscalls()
        sys.addDevice("/bundle/rootfs/dev/null", mode: FileType.character | 0o600, rdev: DeviceNumber.make(major: 1, minor: 3))
        try RootfsSetup(spec: makeSpec([]), bundle: "/bundle", syscalls: sys).prepare()
        XCTAssertFalse(devCalls(sys).contains { $0.contains("dev/null") })
    }

    func testABindMountedDevIsNotTouched() throws {
        let sys = makeRecordingSyscalls()
        let setup = RootfsSetup(spec: makeSpec([Mount(destination: "/dev/", type: "bind", source: "/dev", options: ["rbind"])]),
                                bundle: "/bundle", syscalls: sys)
        XCTAssertFalse(setup.setsUpDev)
        try setup.prepare()
        XCTAssertEqual(devCalls(sys), ["mount /dev fd:/bundle/rootfs/dev bind bind|rec"])
    }

    func testDeviceNumbersMatchGlibc() {
        XCTAssertEqual(DeviceNumber.make(major: 1, minor: 3), 0x103)
        XCTAssertEqual(DeviceNumber.make(major: 259, minor: 300), 0x11_032c)
        let big = DeviceNumber.make(major: 0x12345, minor: 0x6789a)
        XCTAssertEqual(DeviceNumber.major(big), 0x12345)
        XCTAssertEqual(DeviceNumber.minor(big), 0x6789a)
    }
}
