import XCTest
@testable import OCISpec

final class ValidationResourcesTests: XCTestCase {
    private func spec(_ change: (inout LinuxResources) -> Void) -> Spec {
        var s = validBaseSpec()
        var r = LinuxResources()
        change(&r)
        s.linux?.resources = r
        return s
    }

    private func cgroupsPath(_ path: String) -> Spec {
        var s = validBaseSpec()
        s.linux?.cgroupsPath = path
        return s
    }

    func testCgroupsPath() {
        let systemd = ValidationOptions(systemdCgroup: true)
        assertAccepts(cgroupsPath("/docker/abc"))
        assertAccepts(cgroupsPath("relative/path"))
        assertAccepts(cgroupsPath("system.slice:docker:abc"), options: systemd)
        assertAccepts(cgroupsPath(":runc:abc"), options: systemd)
        assertRejects(cgroupsPath("system.slice:docker:abc"),
                      "linux.cgroupsPath: \"system.slice:docker:abc\" is a systemd \"slice:prefix:name\" path, which needs --systemd-cgroup")
        assertRejects(cgroupsPath("/docker/abc"),
                      "linux.cgroupsPath: expected cgroupsPath to be of format \"slice:prefix:name\" for systemd cgroups, got \"/docker/abc\" instead",
                      options: systemd)
        assertRejects(cgroupsPath("machine:docker:abc"),
                      "linux.cgroupsPath: invalid systemd slice \"machine\": it must end in \".slice\" and contain no \"/\"", options: systemd)
        assertRejects(cgroupsPath("user.slice:docker:"),
                      "linux.cgroupsPath: the name part of \"slice:prefix:name\" must not be empty", options: systemd)
    }

    func testDeviceRules() {
        let s = spec {
            $0.devices = [
                LinuxDeviceCgroup(allow: false, access: "rwm"),
                LinuxDeviceCgroup(allow: true, type: "x", major: 1, minor: 3, access: "rw"),
                LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 3, access: "rwx"),
                LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 3),
                LinuxDeviceCgroup(allow: true, type: "b", major: -2, minor: -1, access: "r"),
            ]
        }
        XCTAssertEqual(errorLines(s), [
            "linux.resources.devices[1].type: unknown device type \"x\" (want a, c or b)",
            "linux.resources.devices[2].access: invalid access \"rwx\" (want a combination of r, w and m)",
            "linux.resources.devices[3].access: must not be empty",
            "linux.resources.devices[4].major: must be -1 (any) or non-negative, got -2",
        ])
        assertAccepts(spec {
            $0.devices = [LinuxDeviceCgroup(allow: false, access: "rwm"), LinuxDeviceCgroup(allow: true, type: "a", access: "m"),
                          LinuxDeviceCgroup(allow: true, type: "c", major: 136, access: "rw")]
        })
    }

    private func memory(limit: Int64?, swap: Int64?) -> Spec {
        spec { r in
            var m = LinuxMemory()
            m.limit = limit; m.swap = swap
            r.memory = m
        }
    }

    func testMemory() {
        assertRejects(memory(limit: 100, swap: 50), "linux.resources.memory.swap: memory+swap limit 50 is smaller than memory.limit 100; use -1 for unlimited swap")
        assertRejects(memory(limit: -1, swap: 50), "linux.resources.memory.swap: must be -1 when memory.limit is -1 (unlimited), got 50")
        assertRejects(memory(limit: -2, swap: nil), "linux.resources.memory.limit: must be -1 (unlimited) or non-negative, got -2")
        assertAccepts(memory(limit: 100, swap: -1))
        assertAccepts(memory(limit: 100, swap: 100))
        assertAccepts(memory(limit: 100, swap: 0))
        assertAccepts(memory(limit: nil, swap: 10))
        var s = spec { r in var m = LinuxMemory(); m.swappiness = 101; r.memory = m }
        assertRejects(s, "linux.resources.memory.swappiness: must be in [0, 100], got 101")
        s = spec { r in var m = LinuxMemory(); m.swappiness = 100; m.kernel = 10; r.memory = m }
        assertAccepts(s)
        XCTAssertEqual(warningLines(s), ["linux.resources.memory.kernel: kernel memory limits are ignored"])
    }

    func testCPU() {
        let s = spec { r in
            var c = LinuxCPU()
            c.idle = 2; c.quota = -5; c.realtimeRuntime = -3; c.cpus = "0-"; c.mems = "1,0-0"
            r.cpu = c
        }
        XCTAssertEqual(errorLines(s), [
            "linux.resources.cpu.idle: must be 0 or 1, got 2",
            "linux.resources.cpu.quota: must be -1 (unlimited) or positive, got -5",
            "linux.resources.cpu.realtimeRuntime: must be -1 or non-negative, got -3",
            "linux.resources.cpu.cpus: invalid CPU list \"0-\": bad element \"0-\"",
        ])
        assertRejects(spec { r in var c = LinuxCPU(); c.quota = 1000; c.burst = 2000; r.cpu = c },
                      "linux.resources.cpu.burst: must not exceed quota (1000), got 2000")
        assertAccepts(spec { r in
            var c = LinuxCPU()
            c.idle = 1; c.quota = 50000; c.burst = 50000; c.period = 100000; c.shares = 0; c.cpus = "0-1"
            r.cpu = c
        })
    }

    func testPids() {
        assertRejects(spec { $0.pids = LinuxPids(limit: -2) }, "linux.resources.pids.limit: must be -1 (unlimited) or non-negative, got -2")
        assertAccepts(spec { $0.pids = LinuxPids(limit: -1) })
        assertAccepts(spec { $0.pids = LinuxPids(limit: 2048) })
    }

    func testBlockIOWeights() {
        let s = spec { r in
            var b = LinuxBlockIO()
            b.weight = 5; b.leafWeight = 1001
            var wd = LinuxWeightDevice(); wd.major = 8; wd.minor = 0
            var wd2 = LinuxWeightDevice(); wd2.major = -8; wd2.minor = 0; wd2.weight = 9
            b.weightDevice = [wd, wd2]
            var td = LinuxThrottleDevice(); td.major = 8; td.minor = -1; td.rate = 10
            b.throttleReadBpsDevice = [td]
            r.blockIO = b
        }
        XCTAssertEqual(errorLines(s), [
            "linux.resources.blockIO.weight: must be in [10, 1000], got 5",
            "linux.resources.blockIO.leafWeight: must be in [10, 1000], got 1001",
            "linux.resources.blockIO.weightDevice[0]: at least one of weight or leafWeight is required",
            "linux.resources.blockIO.weightDevice[1].weight: must be in [10, 1000], got 9",
            "linux.resources.blockIO.weightDevice[1].major: must not be negative, got -8",
            "linux.resources.blockIO.throttleReadBpsDevice[0].minor: must not be negative, got -1",
        ])
        // docker sends weight 0 for "unset"
        assertAccepts(spec { r in var b = LinuxBlockIO(); b.weight = 0; b.leafWeight = 1000; r.blockIO = b })
        assertAccepts(spec { r in var b = LinuxBlockIO(); b.weight = 10; r.blockIO = b })
    }

    func testHugepagesNetworkRdmaUnified() {
        let s = spec { r in
            var h = LinuxHugepageLimit(); h.pageSize = "2M"
            var h2 = LinuxHugepageLimit(); h2.pageSize = "1GB"
            r.hugepageLimits = [h, h2]
            var n = LinuxNetwork(); var p = LinuxInterfacePriority(); p.name = "eth 0"; n.priorities = [p]
            r.network = n
            r.rdma = ["mlx5_1": LinuxRdma()]
            r.unified = ["memory.max": "1G", "../escape": "1"]
        }
        XCTAssertEqual(errorLines(s), [
            "linux.resources.hugepageLimits[0].pageSize: invalid page size \"2M\" (want e.g. \"2MB\" or \"1GB\")",
            "linux.resources.network.priorities[0].name: invalid network interface name \"eth 0\"",
            "linux.resources.rdma.mlx5_1: at least one of hcaHandles or hcaObjects is required",
            "linux.resources.unified[\"../escape\"]: must name a file in the container's cgroup directory",
        ])
        assertAccepts(spec { r in
            var h = LinuxHugepageLimit(); h.pageSize = "64KB"
            r.hugepageLimits = [h]
            var rdma = LinuxRdma(); rdma.hcaObjects = 10
            r.rdma = ["mlx5_1": rdma]
            r.unified = ["memory.max": "1G", "io.max": "8:0 rbps=1"]
        })
    }

    func testStandaloneResourcesForUpdate() {
        var r = LinuxResources()
        r.pids = LinuxPids(limit: -9)
        XCTAssertEqual(validateResources(r).errors.map(\.description), ["pids.limit: must be -1 (unlimited) or non-negative, got -9"])
    }
}
