#if canImport(Glibc)
import Glibc
#endif
import Cgroups
import Linux
import OCISpec
import XCTest
@testable import Runtime

final class RootfsCgroupTests: XCTestCase {
    let devBind = Mount(destination: "/dev", type: "bind", source: "/dev", options: ["rbind"])
    let cgroupMount = Mount(destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup",
                            options: ["nosuid", "noexec", "nodev", "relatime", "ro"])

    // A hybrid host like this VM's, with a merged cpu,cpuacct and a bind-mounted duplicate.
    let mountInfo = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        42 27 0:32 /ctr /mnt/memory-again rw,relatime - cgroup cgroup rw,memory
        """
    let cgroupFile = """
        9:name=systemd:/system.slice/x.service
        4:memory:/ctr/abc
        2:cpu,cpuacct:/
        0::/
        """

    func hybridSyscalls() -> RecordingSyscalls {
        let sys = makeRecordingSyscalls()
        sys.addDirectory("/bundle/rootfs/sys/fs/cgroup")
        for dir in ["cpu,cpuacct", "memory/ctr/abc", "systemd/system.slice/x.service"] {
            sys.addDirectory("/sys/fs/cgroup/" + dir)
        }
        sys.files["/proc/self/mountinfo"] = mountInfo
        sys.files["/proc/self/cgroup"] = cgroupFile
        sys.filesystems["/sys/fs/cgroup"] = FilesystemStat(type: FilesystemMagic.tmpfs, flags: 0)
        return sys
    }

    func cgroupCalls(_ sys: RecordingSyscalls) -> [String] {
        sys.calls.filter { $0.contains("sys/fs/cgroup") && !$0.hasPrefix("mkdir") }
    }

    func testHierarchiesFromMountinfoAndTheProcessCgroups() throws {
        let hierarchies = CgroupHierarchy.parse(mountInfo: try MountInfo.parse(mountInfo), cgroupFile: cgroupFile)
        XCTAssertEqual(hierarchies, [
            CgroupHierarchy(mountPoint: "/sys/fs/cgroup/cpu,cpuacct", ownDirectory: "/sys/fs/cgroup/cpu,cpuacct",
                            subsystems: ["cpu", "cpuacct"]),
            CgroupHierarchy(mountPoint: "/sys/fs/cgroup/memory", ownDirectory: "/sys/fs/cgroup/memory/ctr/abc",
                            subsystems: ["memory"]),
            CgroupHierarchy(mountPoint: "/sys/fs/cgroup/systemd", ownDirectory: "/sys/fs/cgroup/systemd/system.slice/x.service",
                            subsystems: ["systemd"]),
        ])
    }

    func testParentWorkedOutHierarchiesMatchWhatInitWouldParse() throws {
        // The parent's layout sees the caller's cgroups; the container's own directories
        // replace them where the container has one (memory here), as init sees after joining.
        let callerCgroups = """
            9:name=systemd:/system.slice/x.service
            4:memory:/ctr
            2:cpu,cpuacct:/
            0::/
            """
        let layout = try CgroupLayout(mountInfo: mountInfo, procSelfCgroup: callerCgroups, cgroupRootIsCgroup2: false)
        let fromParent = CgroupHierarchy.forContainer(layout: layout, paths: ["memory": "/sys/fs/cgroup/memory/ctr/abc"])
        XCTAssertEqual(fromParent, CgroupHierarchy.parse(mountInfo: try MountInfo.parse(mountInfo), cgroupFile: cgroupFile))
    }

    func testV1WithoutACgroupNamespaceBindsTheOwnCgroups() throws {
        let sys = hybridSyscalls()
        try RootfsSetup(spec: makeSpec([devBind, cgroupMount]), bundle: "/bundle", syscalls: sys).prepare()
        XCTAssertEqual(cgroupCalls(sys), [
            "mount tmpfs fd:/bundle/rootfs/sys/fs/cgroup tmpfs nosuid|nodev|noexec mode=0755,mode=755",
            "mount /sys/fs/cgroup/cpu,cpuacct fd:/bundle/rootfs/sys/fs/cgroup/cpu,cpuacct bind bind|rec",
            "mount - fd:/bundle/rootfs/sys/fs/cgroup/cpu,cpuacct - bind|remount|rdonly|nosuid|nodev|noexec|relatime",
            "mount /sys/fs/cgroup/memory/ctr/abc fd:/bundle/rootfs/sys/fs/cgroup/memory bind bind|rec",
            "mount - fd:/bundle/rootfs/sys/fs/cgroup/memory - bind|remount|rdonly|nosuid|nodev|noexec|relatime",
            "mount /sys/fs/cgroup/systemd/system.slice/x.service fd:/bundle/rootfs/sys/fs/cgroup/systemd bind bind|rec",
            "mount - fd:/bundle/rootfs/sys/fs/cgroup/systemd - bind|remount|rdonly|nosuid|nodev|noexec|relatime",
            "symlink /bundle/rootfs/sys/fs/cgroup/cpu -> cpu,cpuacct",
            "symlink /bundle/rootfs/sys/fs/cgroup/cpuacct -> cpu,cpuacct",
        ])
    }

    func testV1WithACgroupNamespaceMountsEachHierarchy() throws {
        let sys = hybridSyscalls()
        try RootfsSetup(spec: makeSpec([devBind, cgroupMount], namespaces: ["mount", "cgroup"]),
                        bundle: "/bundle", syscalls: sys).prepare()
        XCTAssertEqual(Array(cgroupCalls(sys).dropFirst().prefix(3)), [
            "mount cgroup fd:/bundle/rootfs/sys/fs/cgroup/cpu,cpuacct cgroup rdonly|nosuid|nodev|noexec cpu,cpuacct",
            "mount cgroup fd:/bundle/rootfs/sys/fs/cgroup/memory cgroup rdonly|nosuid|nodev|noexec memory",
            "mount systemd fd:/bundle/rootfs/sys/fs/cgroup/systemd cgroup rdonly|nosuid|nodev|noexec name=systemd",
        ])
    }

    func testV2MountsCgroup2OrFallsBackToABind() throws {
        let sys = makeRecordingSyscalls()
        sys.filesystems["/sys/fs/cgroup"] = FilesystemStat(type: FilesystemMagic.cgroup2, flags: 0)
        try RootfsSetup(spec: makeSpec([devBind, cgroupMount]), bundle: "/bundle", syscalls: sys).prepare()
        XCTAssertEqual(cgroupCalls(sys), ["mount cgroup fd:/bundle/rootfs/sys/fs/cgroup cgroup2 rdonly|nosuid|nodev|noexec|relatime"])

        let refused = makeRecordingSyscalls()
        refused.filesystems["/sys/fs/cgroup"] = FilesystemStat(type: FilesystemMagic.cgroup2, flags: 0)
        refused.files["/proc/self/cgroup"] = "0::/user.slice/ctr\n"
        refused.addDirectory("/sys/fs/cgroup/user.slice/ctr")
        refused.fail("mount", at: "/bundle/rootfs/sys/fs/cgroup", errno: EPERM)
        try RootfsSetup(spec: makeSpec([devBind, cgroupMount], namespaces: ["mount", "cgroup", "user"]),
                        bundle: "/bundle", syscalls: refused).prepare()
        XCTAssertEqual(cgroupCalls(refused), [
            "mount /sys/fs/cgroup/user.slice/ctr fd:/bundle/rootfs/sys/fs/cgroup bind bind",
            "mount - fd:/bundle/rootfs/sys/fs/cgroup - bind|remount|rdonly|nosuid|nodev|noexec|relatime",
        ])
    }
}
