import XCTest
import Linux
@testable import Cgroups

/// Detection and path resolution from mountinfo / /proc/self/cgroup text (no real cgroups).
final class LayoutAndPathTests: XCTestCase {
    // This machine's shape: separate v1 hierarchies, name=systemd, an empty cgroup2 at unified.
    static let hybridMountInfo = """
    31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
    32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
    33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
    34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
    35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
    36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
    37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
    38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
    39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
    40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
    41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
    """
    static let hybridProcCgroup = """
    9:name=systemd:/
    8:pids:/
    7:blkio:/
    6:freezer:/
    5:devices:/
    4:memory:/process_api/3437
    3:cpuset:/
    2:cpuacct:/
    1:cpu:/
    0::/
    """

    // A Debian/Ubuntu v1 host: co-mounted cpu,cpuacct and net_cls,net_prio, optional fields.
    static let comountedMountInfo = """
    25 21 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
    27 25 0:24 / /sys/fs/cgroup/systemd rw,nosuid shared:10 - cgroup cgroup rw,xattr,name=systemd
    30 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:13 - cgroup cgroup rw,cpu,cpuacct
    31 25 0:28 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid shared:14 - cgroup cgroup rw,net_cls,net_prio
    32 25 0:29 / /sys/fs/cgroup/memory rw,nosuid shared:15 - cgroup cgroup rw,memory
    33 25 0:30 / /sys/fs/cgroup/devices rw,nosuid shared:16 - cgroup cgroup rw,devices
    """
    static let comountedProcCgroup = """
    5:devices:/user.slice
    4:memory:/user.slice/user-1000.slice
    3:net_cls,net_prio:/
    2:cpu,cpuacct:/user.slice
    1:name=systemd:/user.slice/user-1000.slice/session-2.scope
    """

    static let unifiedMountInfo = """
    24 29 0:22 / /sys rw,nosuid - sysfs sysfs rw
    26 24 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
    """

    func hybrid() throws -> CgroupLayout {
        try CgroupLayout(mountInfo: Self.hybridMountInfo, procSelfCgroup: Self.hybridProcCgroup, cgroupRootIsCgroup2: false)
    }

    func testDetectsHybridLayoutFromThisMachinesMountinfo() throws {
        let layout = try hybrid()
        XCTAssertEqual(layout.mode, .hybrid)
        XCTAssertEqual(layout.unifiedMountPoint, "/sys/fs/cgroup/unified")
        XCTAssertEqual(layout.hierarchy(for: "name=systemd")?.mountPoint, "/sys/fs/cgroup/systemd")
        XCTAssertEqual(Set(layout.mountedControllers),
                       ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "name=systemd"])
        XCTAssertNil(layout.hierarchy(for: "net_cls"))
        XCTAssertEqual(layout.callerDirectory(for: "memory"), "/sys/fs/cgroup/memory/process_api/3437")
        XCTAssertEqual(layout.callerDirectory(for: "pids"), "/sys/fs/cgroup/pids")
        XCTAssertEqual(layout.callerDirectory(for: ""), "/sys/fs/cgroup/unified")
    }

    func testDetectsCoMountedControllersAsOneHierarchy() throws {
        let layout = try CgroupLayout(mountInfo: Self.comountedMountInfo, procSelfCgroup: Self.comountedProcCgroup)
        XCTAssertEqual(layout.mode, .v1)
        XCTAssertEqual(layout.hierarchy(for: "cpu"), layout.hierarchy(for: "cpuacct"))
        XCTAssertEqual(layout.hierarchy(for: "cpu")?.controllers, ["cpu", "cpuacct"])
        XCTAssertEqual(layout.hierarchy(for: "net_prio")?.mountPoint, "/sys/fs/cgroup/net_cls,net_prio")
        XCTAssertEqual(layout.callerDirectory(for: "cpuacct"), "/sys/fs/cgroup/cpu,cpuacct/user.slice")
        XCTAssertEqual(layout.callerDirectory(for: "name=systemd"),
                       "/sys/fs/cgroup/systemd/user.slice/user-1000.slice/session-2.scope")
    }

    func testDetectsUnifiedMode() throws {
        let layout = try CgroupLayout(mountInfo: Self.unifiedMountInfo, procSelfCgroup: "0::/user.slice/session-3.scope\n")
        XCTAssertEqual(layout.mode, .unified)
        XCTAssertEqual(layout.unifiedMountPoint, "/sys/fs/cgroup")
        XCTAssertEqual(layout.callerCgroups[""], "/user.slice/session-3.scope")
    }

    func testStatfsAnswerDecidesUnifiedEvenWithStrayV1Mounts() throws {
        let text = Self.unifiedMountInfo + "\n40 26 0:40 / /opt/cg rw - cgroup cgroup rw,pids\n"
        XCTAssertEqual(try CgroupLayout(mountInfo: text, procSelfCgroup: "0::/\n", cgroupRootIsCgroup2: true).mode, .unified)
        XCTAssertEqual(try CgroupLayout(mountInfo: text, procSelfCgroup: "0::/\n", cgroupRootIsCgroup2: false).mode, .hybrid)
    }

    func testMountRootOfANestedContainerIsStrippedFromTheCallersCgroup() throws {
        let mountInfo = "50 40 0:32 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n"
            + "51 40 0:33 /docker/abc /sys/fs/cgroup/devices ro - cgroup cgroup rw,devices\n"
        let layout = try CgroupLayout(mountInfo: mountInfo, procSelfCgroup: "4:memory:/docker/abc/inner\n5:devices:/docker/abc\n")
        XCTAssertEqual(layout.callerDirectory(for: "memory"), "/sys/fs/cgroup/memory/inner")
        XCTAssertEqual(layout.callerDirectory(for: "devices"), "/sys/fs/cgroup/devices")
    }

    func testMountinfoOctalEscapesAreDecoded() {
        let entries = MountInfo.parseSkippingMalformed("60 1 0:50 / /mnt/my\\040cgroups rw - cgroup cgroup rw,pids\n")
        XCTAssertEqual(entries.first?.mountPoint, "/mnt/my cgroups")
        XCTAssertEqual(entries.first?.superOptions.split(separator: ",").map(String.init), ["rw", "pids"])
    }

    func testProcCgroupPathMayContainColons() throws {
        let entries = try ProcCgroupEntry.parse("4:memory:/a:b/c\n0::/x\n")
        XCTAssertEqual(entries[0].path, "/a:b/c")
        XCTAssertEqual(entries[1].controllers, [])
        XCTAssertThrowsError(try ProcCgroupEntry.parse("garbage\n"))
    }

    func testNoCgroupMountsIsAnError() {
        XCTAssertThrowsError(try CgroupLayout(mountInfo: "1 0 8:1 / / rw - ext4 /dev/sda rw\n", procSelfCgroup: "0::/\n"))
    }

    // MARK: paths

    func testAbsentCgroupsPathUsesTheContainerIDBelowTheCallersCgroup() throws {
        let paths = try CgroupPath.resolve(cgroupsPath: nil, containerID: "c1", layout: try hybrid())
        XCTAssertEqual(paths["memory"], "/sys/fs/cgroup/memory/process_api/3437/c1")
        XCTAssertEqual(paths["cpu"], "/sys/fs/cgroup/cpu/c1")
        XCTAssertEqual(paths["name=systemd"], "/sys/fs/cgroup/systemd/c1")
        XCTAssertEqual(paths[""], "/sys/fs/cgroup/unified/c1")
        XCTAssertNil(paths["net_cls"])
        XCTAssertEqual(try CgroupPath.resolve(cgroupsPath: "", containerID: "c1", layout: try hybrid()), paths)
    }

    func testRelativeCgroupsPathIsBelowTheCallersCgroupAndCannotClimbOut() throws {
        let paths = try CgroupPath.resolve(cgroupsPath: "../../pod/./c1", containerID: "x", layout: try hybrid())
        XCTAssertEqual(paths["memory"], "/sys/fs/cgroup/memory/process_api/3437/pod/c1")
        XCTAssertEqual(paths["devices"], "/sys/fs/cgroup/devices/pod/c1")
    }

    func testAbsoluteCgroupsPathIsBelowEachMountPoint() throws {
        let paths = try CgroupPath.resolve(cgroupsPath: "/docker/abc/../def", containerID: "x", layout: try hybrid())
        XCTAssertEqual(paths["memory"], "/sys/fs/cgroup/memory/docker/def")
        XCTAssertEqual(paths["freezer"], "/sys/fs/cgroup/freezer/docker/def")
        XCTAssertEqual(paths[""], "/sys/fs/cgroup/unified/docker/def")
    }

    func testCoMountedControllersShareOneDirectory() throws {
        let layout = try CgroupLayout(mountInfo: Self.comountedMountInfo, procSelfCgroup: Self.comountedProcCgroup)
        let paths = try CgroupPath.resolve(cgroupsPath: "/libpod_parent/c1", containerID: "c1", layout: layout)
        XCTAssertEqual(paths["cpu"], "/sys/fs/cgroup/cpu,cpuacct/libpod_parent/c1")
        XCTAssertEqual(paths["cpuacct"], paths["cpu"])
        XCTAssertEqual(paths["net_prio"], "/sys/fs/cgroup/net_cls,net_prio/libpod_parent/c1")
        XCTAssertNil(paths[""])
        XCTAssertEqual(CgroupTree.uniqueDirectories(paths).count, 5)
    }

    func testUnifiedRelativePathGoesBelowTheParentOfTheCallersCgroup() throws {
        let layout = try CgroupLayout(mountInfo: Self.unifiedMountInfo, procSelfCgroup: "0::/user.slice/session-3.scope\n")
        XCTAssertEqual(try CgroupPath.resolve(cgroupsPath: nil, containerID: "c1", layout: layout),
                       ["": "/sys/fs/cgroup/user.slice/c1"])
        XCTAssertEqual(try CgroupPath.resolve(cgroupsPath: "/machine/c1", containerID: "c1", layout: layout),
                       ["": "/sys/fs/cgroup/machine/c1"])
    }

    func testMissingDevicesHierarchyIsRefused() throws {
        let layout = try CgroupLayout(mountInfo: "32 31 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
                                      procSelfCgroup: "1:memory:/\n")
        XCTAssertThrowsError(try CgroupPath.resolve(cgroupsPath: "/a", containerID: "a", layout: layout)) { error in
            XCTAssertTrue("\(error)".contains("devices"), "\(error)")
        }
    }

    func testPathThatNamesTheRootIsRefused() throws {
        XCTAssertThrowsError(try CgroupPath.resolve(cgroupsPath: "/", containerID: "x", layout: try hybrid())) { error in
            XCTAssertEqual((error as? CgroupError)?.field, "linux.cgroupsPath")
        }
        XCTAssertThrowsError(try CgroupPath.resolve(cgroupsPath: "..", containerID: "x", layout: try hybrid()))
    }

    func testCleanMatchesGoFilepathClean() {
        XCTAssertEqual(CgroupPath.clean("/a/b/../c//d/."), "/a/c/d")
        XCTAssertEqual(CgroupPath.clean("/../../x"), "/x")
        XCTAssertEqual(CgroupPath.clean("a/../../b"), "b")
        XCTAssertEqual(CgroupPath.clean("./"), "")
    }

    func testManagerRebuiltFromSavedPathsKeepsThem() throws {
        let paths = try CgroupPath.resolve(cgroupsPath: "/x/y", containerID: "y", layout: try hybrid())
        XCTAssertEqual(makeCgroupManager(paths: paths).paths, paths)
        XCTAssertTrue(makeCgroupManager(paths: paths) is V1CgroupManager)
        XCTAssertTrue(makeCgroupManager(paths: ["": "/sys/fs/cgroup/x"]) is V2CgroupManager)
    }
}
