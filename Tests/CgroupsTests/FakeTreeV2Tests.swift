import XCTest
import OCISpec
@testable import Cgroups

/// V2 manager against fake cgroup2 trees in a temporary directory (the real unified
/// hierarchy on this machine has no controllers, so resource files only exist here).
final class FakeTreeV2Tests: XCTestCase {
    var tree: FakeCgroupTree!

    override func setUpWithError() throws {
        tree = try FakeCgroupTree()
    }

    func v2Cgroup(_ controllers: String, _ knobs: [String]) throws -> String {
        var files = Dictionary(uniqueKeysWithValues: knobs.map { ($0, "") })
        files["cgroup.controllers"] = controllers + "\n"
        return try tree.cgroup("c1", files: files)
    }

    func testFakeTreeV2ConvertsV1ShapedValues() throws {
        let dir = try v2Cgroup("cpuset cpu io memory hugetlb pids rdma",
                               ["cpu.weight", "cpu.max", "cpu.max.burst", "cpu.idle", "memory.max", "memory.low",
                                "memory.swap.max", "pids.max", "io.weight", "io.max", "cpuset.cpus", "cpuset.mems",
                                "hugetlb.2MB.max", "rdma.max"])
        var resources = LinuxResources()
        var cpu = LinuxCPU()
        cpu.shares = 1024
        cpu.quota = 25_000
        cpu.burst = 500
        cpu.idle = 0
        cpu.cpus = "0"
        cpu.mems = "0"
        cpu.realtimeRuntime = 100  // no v2 equivalent: skipped, like runc
        resources.cpu = cpu
        var memory = LinuxMemory()
        memory.limit = 100 << 20
        memory.swap = 300 << 20
        memory.reservation = 50 << 20
        memory.swappiness = 30  // no v2 equivalent
        resources.memory = memory
        resources.pids = LinuxPids(limit: -1)
        var io = LinuxBlockIO()
        io.weight = 500
        var throttle = LinuxThrottleDevice()
        throttle.major = 254
        throttle.minor = 0
        throttle.rate = 4096
        io.throttleWriteBpsDevice = [throttle]
        resources.blockIO = io
        var hugepages = LinuxHugepageLimit()
        hugepages.pageSize = "2MB"
        hugepages.limit = 1 << 22
        resources.hugepageLimits = [hugepages]
        var rdma = LinuxRdma()
        rdma.hcaHandles = 3
        resources.rdma = ["mlx5_1": rdma]
        try V2CgroupManager(directory: dir).apply(resources)

        XCTAssertEqual(tree.read("c1/cpu.weight"), "100")
        XCTAssertEqual(tree.read("c1/cpu.max"), "25000 100000")
        XCTAssertEqual(tree.read("c1/cpu.max.burst"), "500")
        XCTAssertEqual(tree.read("c1/cpu.idle"), "0")
        XCTAssertEqual(tree.read("c1/memory.max"), "\(100 << 20)")
        XCTAssertEqual(tree.read("c1/memory.swap.max"), "\(200 << 20)", "memory+swap minus memory")
        XCTAssertEqual(tree.read("c1/memory.low"), "\(50 << 20)")
        XCTAssertEqual(tree.read("c1/pids.max"), "max")
        XCTAssertEqual(tree.read("c1/io.weight"), "\(1 + 490 * 9999 / 990)")
        XCTAssertEqual(tree.read("c1/io.max"), "254:0 wbps=4096")
        XCTAssertEqual(tree.read("c1/cpuset.cpus"), "0")
        XCTAssertEqual(tree.read("c1/hugetlb.2MB.max"), "\(1 << 22)")
        XCTAssertEqual(tree.read("c1/rdma.max"), "mlx5_1 hca_handle=3")
    }

    func testFakeTreeV2SwapEqualToMemoryDisablesSwap() throws {
        let dir = try v2Cgroup("memory", ["memory.max", "memory.swap.max"])
        var resources = LinuxResources()
        resources.memory = LinuxMemory()
        resources.memory?.limit = 1 << 20
        resources.memory?.swap = 1 << 20
        try V2CgroupManager(directory: dir).apply(resources)
        XCTAssertEqual(tree.read("c1/memory.swap.max"), "0")
    }

    func testFakeTreeV2UnlimitedSwapIgnoredWithoutSwapAccounting() throws {
        let dir = try v2Cgroup("memory", ["memory.max"])
        var resources = LinuxResources()
        resources.memory = LinuxMemory()
        resources.memory?.limit = -1
        try V2CgroupManager(directory: dir).apply(resources)
        XCTAssertEqual(tree.read("c1/memory.max"), "max")
    }

    func testFakeTreeV2BFQWeightIsWrittenUnconverted() throws {
        let dir = try tree.cgroup("c1", files: ["cgroup.controllers": "io\n", "io.bfq.weight": "default 100\n", "io.weight": ""])
        var resources = LinuxResources()
        resources.blockIO = LinuxBlockIO()
        resources.blockIO?.weight = 300
        try V2CgroupManager(directory: dir).apply(resources)
        XCTAssertEqual(tree.read("c1/io.bfq.weight"), "300")
        XCTAssertEqual(tree.read("c1/io.weight"), "", "io.weight untouched when BFQ is there")
    }

    func testFakeTreeV2MissingControllerSaysSo() throws {
        let dir = try v2Cgroup("cpu", ["cpu.weight"])
        var resources = LinuxResources()
        resources.pids = LinuxPids(limit: 5)
        XCTAssertThrowsError(try V2CgroupManager(directory: dir).apply(resources)) { error in
            XCTAssertEqual("\(error)",
                           "linux.resources.pids.limit: the pids cgroup controller is not available in \(dir) (see its cgroup.controllers)")
        }
    }

    func testFakeTreeV2UnifiedKeysAreValidatedAndWrittenLineByLine() throws {
        let dir = try v2Cgroup("memory io", ["memory.high", "io.max"])
        let manager = V2CgroupManager(directory: dir)
        var resources = LinuxResources()
        resources.unified = ["memory.high": "1073741824"]
        try manager.apply(resources)
        XCTAssertEqual(tree.read("c1/memory.high"), "1073741824")

        resources.unified = ["io.max": "8:0 rbps=1\n8:16 wbps=2\n"]
        try manager.apply(resources)
        XCTAssertEqual(tree.read("c1/io.max"), "8:16 wbps=2", "the last line is the last write")

        for bad in ["../memory.high", "memoryhigh", "pids.max", "memory.nosuch"] {
            resources.unified = [bad: "1"]
            XCTAssertThrowsError(try manager.apply(resources), bad) { error in
                XCTAssertEqual((error as? CgroupError)?.field, "linux.resources.unified.\(bad)")
            }
        }
        XCTAssertFalse(tree.exists("c1/memory.nosuch"), "unified never creates files")
    }

    func testFakeTreeV2DeviceRulesOnANonCgroupDirectoryFailLoudly() throws {
        // A BPF program can only attach to a real cgroup2 directory; the fake tree is not one.
        // Even allow-all is attached (it must replace an older, stricter program).
        let dir = try v2Cgroup("", [])
        for rules in [[LinuxDeviceCgroup(allow: true, type: "a", access: "rwm")],
                      DefaultDeviceRules.containerRules(resources: nil, linuxDevices: nil)] {
            var resources = LinuxResources()
            resources.devices = rules
            XCTAssertThrowsError(try V2CgroupManager(directory: dir).apply(resources)) { error in
                XCTAssertEqual((error as? CgroupError)?.field, "linux.resources.devices")
                XCTAssertTrue("\(error)".contains("BPF_PROG_QUERY"), "\(error)")
            }
        }
    }

    func testFakeTreeV2CreateEnablesControllersFromTheDelegationRootDown() throws {
        try tree.cgroup("", files: ["cgroup.controllers": "cpu memory\n", "cgroup.subtree_control": ""])
        let manager = V2CgroupManager(directory: tree.path("a/c1"), delegationRoot: tree.root)
        // The fake "a" gets its knobs from the test, as the kernel would create them.
        try tree.cgroup("a", files: ["cgroup.controllers": "cpu\n", "cgroup.subtree_control": ""])
        try manager.create()
        XCTAssertTrue(tree.exists("a/c1"))
        XCTAssertEqual(tree.read("cgroup.subtree_control"), "+cpu +memory")
        XCTAssertEqual(tree.read("a/cgroup.subtree_control"), "+cpu")
        XCTAssertEqual(manager.paths, ["": tree.path("a/c1")])
    }

    func testFakeTreeV2StatsAreReadInRuncsShape() throws {
        let dir = try tree.cgroup("c1", files: [
            "cpu.stat": "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\nthrottled_usec 20\n",
            "memory.stat": "anon 100\nfile 4096\n", "memory.current": "8192\n", "memory.max": "16384\n",
            "memory.peak": "9000\n", "memory.events": "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n",
            "memory.swap.current": "100\n", "memory.swap.max": "max\n",
            "pids.current": "2\n", "pids.max": "64\n",
            "io.stat": "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n",
            "hugetlb.2MB.current": "0\n", "hugetlb.2MB.events": "max 4\n",
        ])
        var reader = V2StatsReader(directory: dir)
        reader.hugePageSizes = ["2MB"]
        let stats = try reader.read()
        XCTAssertEqual(stats.cpu.usage.total, 1_500_000)
        XCTAssertEqual(stats.cpu.usage.kernel, 500_000)
        XCTAssertEqual(stats.cpu.throttling.throttledTime, 20_000)
        XCTAssertEqual(stats.memory.cache, 4096)
        XCTAssertEqual(stats.memory.usage, .init(limit: 16384, usage: 8192, max: 9000, failcnt: 7))
        XCTAssertEqual(stats.memory.swap.usage, 8292, "memory+swap")
        XCTAssertEqual(stats.memory.swap.limit, UInt64.max)
        XCTAssertEqual(stats.pids.current, 2)
        XCTAssertEqual(stats.pids.limit, 64)
        XCTAssertEqual(stats.blkio.ioServiceBytesRecursive, [.init(major: 8, minor: 0, op: "Read", value: 10),
                                                             .init(major: 8, minor: 0, op: "Write", value: 20)])
        XCTAssertEqual(stats.hugetlb["2MB"], .init(usage: 0, max: 0, failcnt: 4))
        XCTAssertEqual(try V2CgroupManager(directory: dir).oomKillCount(), 1)
    }
}
