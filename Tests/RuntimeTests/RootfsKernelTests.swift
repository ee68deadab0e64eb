// RootfsSetup against the real kernel. The setup runs in a child: this same test binary,
// started by unshare(1) in a private mount namespace with SWIFTLET_ROOTFS_CHILD naming the
// scenario, so pivot_root and the mounts never touch the test runner's namespace. The child
// writes what it saw (mountinfo after pivot, checks it made before pivoting) to a report file
// opened before the pivot, and the parent asserts on that report.
import Foundation
import OCISpec
import XCTest
@testable import Runtime

final class RootfsKernelTests: XCTestCase {
    // MARK: parent side

    func testDefaultRuncSpecMountsPivotAndFinalize() throws {
        let fixture = try KernelFixture(scenario: "runc-spec")
        let report = try fixture.run()
        let mounts = report.mountInfo

        XCTAssertEqual(report.value("error"), nil, report.text)
        func mount(at point: String) -> MountLine? { mounts.last { $0.point == point } }
        XCTAssertEqual(mount(at: "/")?.fsType, "ext4", report.text)
        XCTAssertEqual(mount(at: "/proc")?.fsType, "proc")
        XCTAssertEqual(mount(at: "/dev")?.fsType, "tmpfs")
        XCTAssertEqual(mount(at: "/dev/pts")?.fsType, "devpts")
        XCTAssertTrue(mount(at: "/dev/pts")?.superOptions.contains("ptmxmode=666") == true, report.text)
        XCTAssertEqual(mount(at: "/dev/shm")?.fsType, "tmpfs")
        XCTAssertTrue(mount(at: "/dev/shm")?.options.contains("noexec") == true)
        XCTAssertEqual(mount(at: "/dev/mqueue")?.fsType, "mqueue")
        XCTAssertEqual(mount(at: "/sys")?.fsType, "sysfs")
        XCTAssertTrue(mount(at: "/sys")?.options.hasPrefix("ro") == true)
        XCTAssertEqual(mount(at: "/sys/fs/cgroup")?.fsType, "tmpfs")
        XCTAssertEqual(mount(at: "/sys/fs/cgroup/memory")?.fsType, "cgroup")
        XCTAssertTrue(mount(at: "/sys/fs/cgroup/memory")?.options.hasPrefix("ro") == true, report.text)
        // Nothing of the host is left: every mount point is one the container asked for.
        XCTAssertFalse(mounts.contains { $0.point.hasPrefix("/mnt/sandboxing") || $0.point.hasPrefix("/work") }, report.text)
        // masked and read-only paths
        // Files get the container's /dev/null (on its /dev tmpfs) bound over them; /proc/kcore
        // is not on every kernel and is skipped where missing.
        XCTAssertEqual(mount(at: "/proc/keys")?.fsType, "tmpfs", report.text)
        XCTAssertEqual(mount(at: "/proc/keys")?.root, "/null", report.text)
        XCTAssertEqual(mount(at: "/proc/kcore") != nil, report.value("host has kcore") == "yes", report.text)
        XCTAssertEqual(mount(at: "/proc/acpi")?.fsType, "tmpfs")
        XCTAssertTrue(mount(at: "/proc/acpi")?.options.hasPrefix("ro") == true)
        XCTAssertTrue(mount(at: "/proc/sys")?.options.hasPrefix("ro") == true, report.text)
        // devices and links, as seen from inside after pivot
        XCTAssertEqual(report.value("/dev/null"), "c 1:3 666", report.text)
        XCTAssertEqual(report.value("/dev/urandom"), "c 1:9 666")
        XCTAssertEqual(report.value("/dev/tty"), "c 5:0 666")
        XCTAssertEqual(report.value("/dev/ptmx"), "-> pts/ptmx")
        XCTAssertEqual(report.value("/dev/fd"), "-> /proc/self/fd")
        XCTAssertEqual(report.value("/dev/stderr"), "-> /proc/self/fd/2")
        XCTAssertEqual(report.value("cwd"), "/")
    }

    func testSymlinkToHostDirectoryGetsTheMountInsideTheRootfs() throws {
        let fixture = try KernelFixture(scenario: "symlink-escape")
        let report = try fixture.run()
        XCTAssertEqual(report.value("error"), nil, report.text)
        // Before pivot: the host directory the image's /mnt points at has no mount on it, the
        // rootfs' own /tmp/hostdir got the bind.
        XCTAssertEqual(report.value("host dir mounted"), "no", report.text)
        XCTAssertEqual(report.value("rootfs copy mounted"), "yes", report.text)
        XCTAssertEqual(report.value("marker inside"), "present", report.text)
    }

    func testProcOnASymlinkIsRefused() throws {
        let fixture = try KernelFixture(scenario: "proc-symlink")
        let report = try fixture.run()
        let error = try XCTUnwrap(report.value("error"), report.text)
        XCTAssertTrue(error.contains("mounts[0] (proc on /proc)"), error)
        XCTAssertTrue(error.contains("must be mounted on ordinary directory"), error)
    }

    func testBindReadOnlyAndTmpcopyup() throws {
        let fixture = try KernelFixture(scenario: "bind-ro-copyup")
        let report = try fixture.run()
        XCTAssertEqual(report.value("error"), nil, report.text)
        let data = try XCTUnwrap(report.mountInfo.last { $0.point == "/data" }, report.text)
        XCTAssertTrue(data.options.hasPrefix("ro,"), data.options)
        XCTAssertTrue(data.options.contains("nosuid"), data.options)
        XCTAssertEqual(report.value("/data/file write"), "EROFS", report.text)
        XCTAssertEqual(report.value("/etc/copied"), "original content", report.text)
        XCTAssertEqual(report.mountInfo.last { $0.point == "/etc" }?.fsType, "tmpfs")
        XCTAssertEqual(report.value("/hostfile"), "a bound file", report.text)
    }

    func testInAUserNamespaceDevicesAreBoundAndLockedFlagsKept() throws {
        let report = try KernelFixture(scenario: "userns").run()
        XCTAssertEqual(report.value("error"), nil, report.text)
        let mounts = report.mountInfo
        // mknod is refused in a user namespace: the host's nodes are bound on empty files.
        XCTAssertEqual(mounts.last { $0.point == "/dev/null" }?.fsType, "devtmpfs", report.text)
        XCTAssertEqual(report.value("/dev/null"), "c 1:3 666", report.text)
        XCTAssertEqual(report.value("/dev/ptmx"), "-> pts/ptmx")
        XCTAssertTrue(mounts.last { $0.point == "/sys/fs/cgroup/memory" }?.options.hasPrefix("ro,") == true, report.text)
        XCTAssertEqual(report.value("/ write"), "EROFS", report.text)
        XCTAssertEqual(report.value("/proc/sys write"), "EROFS", report.text)
        XCTAssertEqual(mounts.last { $0.point == "/proc/acpi" }?.fsType, "tmpfs", report.text)
    }

    func testWithACgroupNamespaceEachV1HierarchyIsMountedFresh() throws {
        let report = try KernelFixture(scenario: "cgroupns").run()
        XCTAssertEqual(report.value("error"), nil, report.text)
        let memory = try XCTUnwrap(report.mountInfo.last { $0.point == "/sys/fs/cgroup/memory" }, report.text)
        XCTAssertEqual(memory.fsType, "cgroup")
        // The namespace's root, not a bind of a subdirectory of the host's hierarchy.
        XCTAssertEqual(memory.root, "/", report.text)
        XCTAssertTrue(memory.options.hasPrefix("ro,"), memory.options)
        XCTAssertNotNil(report.mountInfo.last { $0.point == "/sys/fs/cgroup/systemd" }, report.text)
    }

    func testNoPivotMovesTheRootAndChroots() throws {
        let report = try KernelFixture(scenario: "no-pivot").run()
        XCTAssertEqual(report.value("error"), nil, report.text)
        XCTAssertEqual(report.value("cwd"), "/")
        XCTAssertEqual(report.value("/dev/null"), "c 1:3 666", report.text)
        XCTAssertEqual(report.value("/ write"), "EROFS", report.text)
        XCTAssertEqual(report.mountInfo.last { $0.point == "/proc" }?.fsType, "proc", report.text)
    }

    // MARK: child side (does nothing unless started by KernelFixture)

    func testChildEntryPoint() throws {
        guard let scenario = ProcessInfo.processInfo.environment["SWIFTLET_ROOTFS_CHILD"],
              let bundle = ProcessInfo.processInfo.environment["SWIFTLET_ROOTFS_BUNDLE"] else { return }
        KernelChild(scenario: scenario, bundle: bundle).run()
    }
}
