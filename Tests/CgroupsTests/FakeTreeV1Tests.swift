import XCTest
import OCISpec
@testable import Cgroups

/// V1 manager against fake cgroupfs trees in a temporary directory.
final class FakeTreeV1Tests: XCTestCase {
    var tree: FakeCgroupTree!

    override func setUpWithError() throws {
        tree = try FakeCgroupTree()
    }

    func knobs(_ names: [String], _ content: String = "") -> [String: String] {
        Dictionary(uniqueKeysWithValues: names.map { ($0, content) })
    }

    func testFakeTreeMemoryPidsCPUFilesGetRuncValues() throws {
        let memory = try tree.cgroup("memory/c1", files: knobs(["memory.limit_in_bytes", "memory.memsw.limit_in_bytes",
                                                                 "memory.soft_limit_in_bytes", "memory.swappiness",
                                                                 "memory.oom_control"], "0\n"))
        let pids = try tree.cgroup("pids/c1", files: knobs(["pids.max"]))
        let cpu = try tree.cgroup("cpu/c1", files: knobs(["cpu.shares", "cpu.cfs_quota_us", "cpu.cfs_period_us",
                                                          "cpu.cfs_burst_us", "cpu.idle", "cpu.rt_runtime_us", "cpu.rt_period_us"]))
        let manager = V1CgroupManager(paths: ["memory": memory, "pids": pids, "cpu": cpu])
        var resources = LinuxResources()
        var mem = LinuxMemory()
        mem.limit = 256 << 20
        mem.swap = 512 << 20
        mem.reservation = 128 << 20
        mem.swappiness = 10
        mem.disableOOMKiller = true
        mem.kernel = 1 << 20  // ignored, as by runc 1.5
        resources.memory = mem
        resources.pids = LinuxPids(limit: 0)
        var cpuSpec = LinuxCPU()
        cpuSpec.shares = 512
        cpuSpec.quota = 50_000
        cpuSpec.period = 100_000
        cpuSpec.burst = 1000
        cpuSpec.idle = 1
        cpuSpec.realtimeRuntime = 950
        cpuSpec.realtimePeriod = 1000
        resources.cpu = cpuSpec
        try manager.apply(resources)

        XCTAssertEqual(tree.read("memory/c1/memory.limit_in_bytes"), "\(256 << 20)")
        XCTAssertEqual(tree.read("memory/c1/memory.memsw.limit_in_bytes"), "\(512 << 20)")
        XCTAssertEqual(tree.read("memory/c1/memory.soft_limit_in_bytes"), "\(128 << 20)")
        XCTAssertEqual(tree.read("memory/c1/memory.swappiness"), "10")
        XCTAssertEqual(tree.read("memory/c1/memory.oom_control"), "1")
        XCTAssertEqual(tree.read("pids/c1/pids.max"), "1")
        XCTAssertEqual(tree.read("cpu/c1/cpu.shares"), "512")
        XCTAssertEqual(tree.read("cpu/c1/cpu.cfs_quota_us"), "50000")
        XCTAssertEqual(tree.read("cpu/c1/cpu.cfs_period_us"), "100000")
        XCTAssertEqual(tree.read("cpu/c1/cpu.cfs_burst_us"), "1000")
        XCTAssertEqual(tree.read("cpu/c1/cpu.idle"), "1")
        XCTAssertEqual(tree.read("cpu/c1/cpu.rt_runtime_us"), "950")
        XCTAssertEqual(tree.read("cpu/c1/cpu.rt_period_us"), "1000")
    }

    func testFakeTreeUnlimitedMemoryAlsoUnlimitsMemsw() throws {
        let memory = try tree.cgroup("memory/c1", files: knobs(["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"], "100\n"))
        var resources = LinuxResources()
        resources.memory = LinuxMemory()
        resources.memory?.limit = -1
        try V1CgroupManager(paths: ["memory": memory]).apply(resources)
        XCTAssertEqual(tree.read("memory/c1/memory.limit_in_bytes"), "-1")
        XCTAssertEqual(tree.read("memory/c1/memory.memsw.limit_in_bytes"), "-1")
    }

    func testFakeTreeSwappinessOutOfRangeIsRejected() throws {
        let memory = try tree.cgroup("memory/c1", files: knobs(["memory.swappiness"]))
        var resources = LinuxResources()
        resources.memory = LinuxMemory()
        resources.memory?.swappiness = 101
        XCTAssertThrowsError(try V1CgroupManager(paths: ["memory": memory]).apply(resources)) { error in
            XCTAssertEqual((error as? CgroupError)?.field, "linux.resources.memory.swappiness")
        }
        resources.memory?.swappiness = UInt64.max  // -1 as uint64: "leave alone"
        XCTAssertNoThrow(try V1CgroupManager(paths: ["memory": memory]).apply(resources))
        XCTAssertEqual(tree.read("memory/c1/memory.swappiness"), "")
    }

    func testFakeTreeCheckBeforeUpdateRefusesLimitBelowUsage() throws {
        let memory = try tree.cgroup("memory/c1", files: ["memory.limit_in_bytes": "9999999\n", "memory.usage_in_bytes": "5000\n"])
        var resources = LinuxResources()
        resources.memory = LinuxMemory()
        resources.memory?.limit = 4096
        resources.memory?.checkBeforeUpdate = true
        XCTAssertThrowsError(try V1CgroupManager(paths: ["memory": memory]).apply(resources)) { error in
            XCTAssertEqual("\(error)", "linux.resources.memory.limit: rejecting memory limit 4096 <= usage 5000")
        }
        XCTAssertEqual(tree.read("memory/c1/memory.limit_in_bytes"), "9999999\n")
    }

    func testFakeTreeMissingKnobErrorNamesFieldAndPath() throws {
        let memory = try tree.cgroup("memory/c1", files: knobs(["memory.limit_in_bytes"]))
        var resources = LinuxResources()
        resources.memory = LinuxMemory()
        resources.memory?.swap = 1 << 30
        XCTAssertThrowsError(try V1CgroupManager(paths: ["memory": memory]).apply(resources)) { error in
            XCTAssertEqual("\(error)",
                           "linux.resources.memory.swap: open \(memory)/memory.memsw.limit_in_bytes: no such file or directory")
        }
    }

    func testFakeTreeUnmountedControllerIsAClearError() throws {
        var resources = LinuxResources()
        resources.pids = LinuxPids(limit: 10)
        XCTAssertThrowsError(try V1CgroupManager(paths: [:]).apply(resources)) { error in
            XCTAssertEqual("\(error)", "linux.resources.pids.limit: the pids cgroup controller is not mounted on this host")
        }
        resources = LinuxResources()
        resources.network = LinuxNetwork()
        resources.network?.classID = 0x100001
        XCTAssertThrowsError(try V1CgroupManager(paths: [:]).apply(resources)) { error in
            XCTAssertEqual((error as? CgroupError)?.field, "linux.resources.network.classID")
        }
    }

    func testFakeTreeUnifiedOnV1IsRefused() throws {
        var resources = LinuxResources()
        resources.unified = ["memory.high": "1G"]
        XCTAssertThrowsError(try V1CgroupManager(paths: [:]).apply(resources)) { error in
            XCTAssertEqual((error as? CgroupError)?.field, "linux.resources.unified")
        }
    }

    func testFakeTreeBlkioUsesBFQFilesWithoutCFQ() throws {
        let blkio = try tree.cgroup("blkio/c1", files: knobs(["blkio.bfq.weight", "blkio.bfq.weight_device",
                                                              "blkio.throttle.read_bps_device", "blkio.throttle.write_iops_device",
                                                              "blkio.leaf_weight_device"]))
        var io = LinuxBlockIO()
        io.weight = 300
        var device = LinuxWeightDevice()
        device.major = 8
        device.minor = 0
        device.weight = 200
        io.weightDevice = [device]
        var throttle = LinuxThrottleDevice()
        throttle.major = 8
        throttle.minor = 16
        throttle.rate = 1_048_576
        io.throttleReadBpsDevice = [throttle]
        io.throttleWriteIOPSDevice = [throttle]
        var resources = LinuxResources()
        resources.blockIO = io
        try V1CgroupManager(paths: ["blkio": blkio]).apply(resources)
        XCTAssertEqual(tree.read("blkio/c1/blkio.bfq.weight"), "300")
        XCTAssertEqual(tree.read("blkio/c1/blkio.bfq.weight_device"), "8:0 200")
        XCTAssertEqual(tree.read("blkio/c1/blkio.throttle.read_bps_device"), "8:16 1048576")
        XCTAssertEqual(tree.read("blkio/c1/blkio.throttle.write_iops_device"), "8:16 1048576")

        // A leaf weight for a device is its own file.
        device.weight = nil
        device.leafWeight = 50
        resources.blockIO = LinuxBlockIO()
        resources.blockIO?.weightDevice = [device]
        try V1CgroupManager(paths: ["blkio": blkio]).apply(resources)
        XCTAssertEqual(tree.read("blkio/c1/blkio.leaf_weight_device"), "8:0 50")
    }

    func testFakeTreeHugetlbNetRdmaFiles() throws {
        let hugetlb = try tree.cgroup("hugetlb/c1", files: knobs(["hugetlb.2MB.limit_in_bytes", "hugetlb.2MB.rsvd.limit_in_bytes",
                                                                  "hugetlb.1GB.limit_in_bytes"]))
        let netCls = try tree.cgroup("net_cls/c1", files: knobs(["net_cls.classid"]))
        let netPrio = try tree.cgroup("net_prio/c1", files: knobs(["net_prio.ifpriomap"]))
        let rdma = try tree.cgroup("rdma/c1", files: knobs(["rdma.max"]))
        var resources = LinuxResources()
        var twoMB = LinuxHugepageLimit()
        twoMB.pageSize = "2MB"
        twoMB.limit = 4 << 21
        resources.hugepageLimits = [twoMB]
        resources.network = LinuxNetwork()
        resources.network?.classID = 0x100001
        var priority = LinuxInterfacePriority()
        priority.name = "eth0"
        priority.priority = 5
        resources.network?.priorities = [priority]
        var limits = LinuxRdma()
        limits.hcaHandles = 2
        limits.hcaObjects = 2000
        resources.rdma = ["mlx4_0": limits]
        try V1CgroupManager(paths: ["hugetlb": hugetlb, "net_cls": netCls, "net_prio": netPrio, "rdma": rdma]).apply(resources)
        XCTAssertEqual(tree.read("hugetlb/c1/hugetlb.2MB.limit_in_bytes"), "\(4 << 21)")
        XCTAssertEqual(tree.read("hugetlb/c1/hugetlb.2MB.rsvd.limit_in_bytes"), "\(4 << 21)")
        XCTAssertEqual(tree.read("net_cls/c1/net_cls.classid"), "1048577")
        XCTAssertEqual(tree.read("net_prio/c1/net_prio.ifpriomap"), "eth0 5")
        XCTAssertEqual(tree.read("rdma/c1/rdma.max"), "mlx4_0 hca_handle=2 hca_object=2000")

        // No rsvd knob for 1GB in this tree: the limit alone is written, no error.
        var oneGB = LinuxHugepageLimit()
        oneGB.pageSize = "1GB"
        oneGB.limit = 1 << 30
        resources = LinuxResources()
        resources.hugepageLimits = [oneGB]
        try V1CgroupManager(paths: ["hugetlb": hugetlb]).apply(resources)
        XCTAssertEqual(tree.read("hugetlb/c1/hugetlb.1GB.limit_in_bytes"), "\(1 << 30)")
    }

    func testFakeTreeCpusetCreateCopiesParentsCpusAndMemsIntoEveryNewLevel() throws {
        try tree.cgroup("cpuset", files: ["cpuset.cpus": "0-1\n", "cpuset.mems": "0\n"])
        // A fake cgroupfs has no kernel to create the knobs in new directories: make the
        // intermediate level exist with empty knobs, as the kernel would, and the leaf too.
        try tree.cgroup("cpuset/pod", files: ["cpuset.cpus": "\n", "cpuset.mems": "\n"])
        try tree.cgroup("cpuset/pod/c1", files: ["cpuset.cpus": "\n", "cpuset.mems": "\n"])
        let manager = V1CgroupManager(paths: ["cpuset": tree.path("cpuset/pod/c1")],
                                      mountPoints: ["cpuset": tree.path("cpuset")])
        try manager.create()
        XCTAssertEqual(tree.read("cpuset/pod/cpuset.cpus"), "0-1")
        XCTAssertEqual(tree.read("cpuset/pod/c1/cpuset.mems"), "0")
    }

    func testFakeTreeCreateMakesEveryDirectoryAndDestroyRemovesNestedOnes() throws {
        let paths = ["memory": tree.path("memory/a/c1"), "pids": tree.path("pids/a/c1"), "name=systemd": tree.path("systemd/a/c1")]
        let manager = V1CgroupManager(paths: paths)
        try manager.create()
        XCTAssertTrue(tree.exists("memory/a/c1") && tree.exists("pids/a/c1") && tree.exists("systemd/a/c1"))
        try FileManager.default.createDirectory(atPath: tree.path("memory/a/c1/sub/deeper"), withIntermediateDirectories: true)
        XCTAssertTrue(manager.exists())
        try manager.destroy()
        XCTAssertFalse(tree.exists("memory/a/c1"))
        XCTAssertFalse(tree.exists("pids/a/c1"))
        XCTAssertTrue(tree.exists("memory/a"), "only the container's own directories go")
        XCTAssertFalse(manager.exists())
        XCTAssertNoThrow(try manager.destroy(), "destroying twice is fine")
    }

    func testFakeTreeStatsAreReadFromV1Files() throws {
        let memory = try tree.cgroup("memory/c1", files: [
            "memory.stat": "cache 4096\nrss 8192\n",
            "memory.usage_in_bytes": "12288\n", "memory.max_usage_in_bytes": "20000\n",
            "memory.limit_in_bytes": "1048576\n", "memory.failcnt": "3\n",
            "memory.memsw.usage_in_bytes": "12288\n", "memory.memsw.limit_in_bytes": "2097152\n",
            "memory.memsw.max_usage_in_bytes": "20000\n", "memory.memsw.failcnt": "0\n",
            "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
        ])
        let pids = try tree.cgroup("pids/c1", files: ["pids.current": "3\n", "pids.max": "max\n"])
        let cpuacct = try tree.cgroup("cpuacct/c1", files: [
            "cpuacct.stat": "user 150\nsystem 50\n", "cpuacct.usage": "2000000000\n",
            "cpuacct.usage_percpu": "1500000000 500000000 \n",
            "cpuacct.usage_all": "cpu user system\n0 1400000000 100000000\n1 400000000 100000000\n",
        ])
        let cpu = try tree.cgroup("cpu/c1", files: ["cpu.stat": "nr_periods 10\nnr_throttled 2\nthrottled_time 777\n"])
        let blkio = try tree.cgroup("blkio/c1", files: [
            "blkio.throttle.io_service_bytes_recursive": "8:0 Read 100\n8:0 Write 50\nTotal 150\n",
            "blkio.throttle.io_serviced_recursive": "8:0 Read 1\n8:0 Write 2\nTotal 3\n",
        ])
        var reader = V1StatsReader(paths: ["memory": memory, "pids": pids, "cpuacct": cpuacct, "cpu": cpu, "blkio": blkio])
        reader.hugePageSizes = []
        let stats = try reader.read()
        XCTAssertEqual(stats.memory.cache, 4096)
        XCTAssertEqual(stats.memory.raw["rss"], 8192)
        XCTAssertEqual(stats.memory.usage, .init(limit: 1_048_576, usage: 12288, max: 20000, failcnt: 3))
        XCTAssertEqual(stats.memory.swap.limit, 2_097_152)
        XCTAssertEqual(stats.memory.kernel, .init(), "no kmem files: zero")
        XCTAssertEqual(stats.pids.current, 3)
        XCTAssertEqual(stats.pids.limit, 0, "max reads as 0 like runc")
        XCTAssertEqual(stats.cpu.usage.total, 2_000_000_000)
        XCTAssertEqual(stats.cpu.usage.user, 1_500_000_000)
        XCTAssertEqual(stats.cpu.usage.kernel, 500_000_000)
        XCTAssertEqual(stats.cpu.usage.percpu, [1_500_000_000, 500_000_000])
        XCTAssertEqual(stats.cpu.usage.percpuUser, [1_400_000_000, 400_000_000])
        XCTAssertEqual(stats.cpu.throttling.throttledTime, 777)
        XCTAssertEqual(stats.blkio.ioServiceBytesRecursive.map(\.value), [100, 50])
        XCTAssertEqual(stats.blkio.ioServicedRecursive.count, 2)
        XCTAssertEqual(try V1CgroupManager(paths: ["memory": memory]).oomKillCount(), 2)
    }
}
