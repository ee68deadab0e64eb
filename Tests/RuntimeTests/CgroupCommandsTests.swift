// The pure parts of update, ps and events: runc's value syntax (go-units, strconv,
// time.ParseDuration), the merge of an update into the saved resources, the ps table filter
// and the events JSON layout.
import Cgroups
import OCISpec
import XCTest
@testable import Runtime

final class CommandLineValuesTests: XCTestCase {
    func testMemorySizesUseBinaryUnitsLikeGoUnits() throws {
        let cases: [(String, Int64)] = [
            ("1024", 1024), ("512m", 512 << 20), ("512M", 512 << 20), ("1g", 1 << 30), ("1G", 1 << 30),
            ("100k", 100 << 10), ("100KiB", 100 << 10), ("100kb", 100 << 10), ("2 GB", 2 << 30),
            ("1.5g", 3 << 29), ("10b", 10), ("10B", 10), ("1t", 1 << 40), ("1p", 1 << 50), ("0", 0),
            ("1e3", 1000), ("+5m", 5 << 20),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(try CommandLineValues.ramInBytes(text), expected, text)
        }
    }

    func testMemorySizesRefuseWhatGoUnitsRefuses() {
        let cases: [(String, String)] = [
            ("", "invalid size: ''"), ("abc", "invalid size: 'abc'"), ("12x", "invalid suffix: 'x'"),
            ("1kbb", "invalid suffix: 'kbb'"), ("1ba", "invalid suffix: 'ba'"), ("1mi", "invalid suffix: 'mi'"),
            ("1kxb", "invalid suffix: 'kxb'"), ("-5m", "invalid size: '-5m'"),
            ("1..2m", "strconv.ParseFloat: parsing \"1..2\": invalid syntax"),
            ("0x10", "strconv.ParseFloat: parsing \"0x10\": invalid syntax"),
        ]
        for (text, message) in cases {
            XCTAssertThrowsError(try CommandLineValues.ramInBytes(text), text) { error in
                XCTAssertEqual("\(error)", message, text)
            }
        }
    }

    func testIntegerFlagsAcceptGoBasePrefixes() throws {
        XCTAssertEqual(try CommandLineValues.goInt("42"), 42)
        XCTAssertEqual(try CommandLineValues.goInt("-1"), -1)
        XCTAssertEqual(try CommandLineValues.goInt("0x1f"), 31)
        XCTAssertEqual(try CommandLineValues.goInt("0o17"), 15)
        XCTAssertEqual(try CommandLineValues.goInt("017"), 15)
        XCTAssertEqual(try CommandLineValues.goInt("0b101"), 5)
        XCTAssertEqual(try CommandLineValues.goInt("0x_ff"), 255)
        XCTAssertEqual(try CommandLineValues.goInt("-9223372036854775808"), Int64.min)
        XCTAssertThrowsError(try CommandLineValues.goInt("1_000"))
        XCTAssertThrowsError(try CommandLineValues.goInt("08"))
        XCTAssertThrowsError(try CommandLineValues.goInt("")) { error in
            XCTAssertEqual("\(error)", "strconv.ParseInt: parsing \"\": invalid syntax")
        }
        XCTAssertThrowsError(try CommandLineValues.goInt("9223372036854775808")) { error in
            XCTAssertEqual("\(error)", "strconv.ParseInt: parsing \"9223372036854775808\": value out of range")
        }
        XCTAssertEqual(try CommandLineValues.decimalUInt("100000"), 100000)
        XCTAssertThrowsError(try CommandLineValues.decimalUInt("-1"))
        XCTAssertThrowsError(try CommandLineValues.decimalUInt("0x10"))
        XCTAssertEqual(try CommandLineValues.decimalInt("-1"), -1)
        XCTAssertThrowsError(try CommandLineValues.decimalInt("1.5"))
    }

    func testDurationsParseLikeGo() throws {
        let cases: [(String, Double)] = [
            ("5s", 5), ("100ms", 0.1), ("1m30s", 90), ("1.5h", 5400), ("0", 0), ("250us", 0.00025),
            ("2µs", 0.000002), ("1h2m3s", 3723), (".5s", 0.5), ("-1s", -1), ("10ns", 1e-8),
        ]
        for (text, seconds) in cases {
            XCTAssertEqual(try CommandLineValues.duration(text), seconds, accuracy: 1e-12, text)
        }
        for bad in ["", "5", "s", "1x", "1.2.3s", "."] {
            XCTAssertThrowsError(try CommandLineValues.duration(bad), bad)
        }
        XCTAssertThrowsError(try CommandLineValues.duration("5")) { error in
            XCTAssertEqual("\(error)", "time: missing unit in duration \"5\"")
        }
    }
}

final class UpdateRequestTests: XCTestCase {
    func testFlagsBuildRuncsRequest() throws {
        let request = try UpdateRequest.fromFlags([
            "memory": "512m", "memory-swap": "-1", "memory-reservation": "256m", "cpu-quota": "-1",
            "cpu-period": "100000", "cpu-share": "512", "cpuset-cpus": "0-1", "cpuset-mems": "",
            "pids-limit": "0x40", "blkio-weight": "500", "cpu-idle": "1", "cpu-rt-runtime": "950",
        ])
        let r = request.resources
        XCTAssertEqual(r.memory?.limit, 512 << 20)
        XCTAssertEqual(r.memory?.swap, -1)
        XCTAssertEqual(r.memory?.reservation, 256 << 20)
        XCTAssertEqual(r.memory?.checkBeforeUpdate, false)
        XCTAssertNil(r.memory?.kernel)
        XCTAssertEqual(r.cpu?.quota, -1)
        XCTAssertEqual(r.cpu?.period, 100000)
        XCTAssertEqual(r.cpu?.shares, 512)
        XCTAssertEqual(r.cpu?.cpus, "0-1")
        XCTAssertNil(r.cpu?.mems, "an empty flag is not set")
        XCTAssertEqual(r.cpu?.idle, 1)
        XCTAssertEqual(r.cpu?.realtimeRuntime, 950)
        XCTAssertEqual(r.pids?.limit, 64)
        XCTAssertEqual(r.blockIO?.weight, 500)
    }

    func testFlagErrorsNameTheFlag() {
        let cases: [([String: String], String)] = [
            (["memory": "1x"], "invalid value for memory: invalid suffix: 'x'"),
            (["cpu-period": "-5"], "invalid value for cpu-period: strconv.ParseUint: parsing \"-5\": invalid syntax"),
            (["cpu-quota": "1.5"], "invalid value for cpu-quota: strconv.ParseInt: parsing \"1.5\": invalid syntax"),
            (["pids-limit": "ten"], "invalid value \"ten\" for flag -pids-limit: strconv.ParseInt: parsing \"ten\": invalid syntax"),
            (["cpu-idle": "x"], "invalid value for cpu-idle: strconv.ParseInt: parsing \"x\": invalid syntax"),
        ]
        for (flags, message) in cases {
            XCTAssertThrowsError(try UpdateRequest.fromFlags(flags)) { error in
                XCTAssertEqual("\(error)", message)
            }
        }
    }

    func testJSONRequestKeepsRuncsDefaults() throws {
        let request = try UpdateRequest.fromJSON(Array(#"{"memory":{"limit":1048576},"unknown":1}"#.utf8), source: "stdin")
        XCTAssertEqual(request.resources.memory?.limit, 1 << 20)
        XCTAssertEqual(request.resources.memory?.checkBeforeUpdate, false)
        XCTAssertEqual(request.resources.cpu, LinuxCPU())
        XCTAssertEqual(request.resources.pids, LinuxPids())
        XCTAssertThrowsError(try UpdateRequest.fromJSON(Array(#"{"memory":{"limit":"big"}}"#.utf8), source: "stdin")) { error in
            XCTAssertTrue("\(error)".contains("memory.limit"), "\(error)")
        }
    }
}

final class ResourceMergeTests: XCTestCase {
    private func saved() -> LinuxResources {
        var r = LinuxResources()
        var memory = LinuxMemory()
        memory.limit = 100 << 20
        memory.swap = 200 << 20
        memory.swappiness = 10
        memory.checkBeforeUpdate = true
        r.memory = memory
        var cpu = LinuxCPU()
        cpu.quota = 50000
        cpu.period = 100000
        cpu.shares = 1024
        cpu.cpus = "0"
        r.cpu = cpu
        r.pids = LinuxPids(limit: 10)
        var limit = LinuxHugepageLimit()
        limit.pageSize = "2MB"
        limit.limit = 1 << 21
        r.hugepageLimits = [limit]
        r.devices = [LinuxDeviceCgroup(allow: false, access: "rwm")]
        return r
    }

    func testMergeReplacesWhatRuncReplaces() throws {
        var request = UpdateRequest().resources
        request.memory?.limit = 150 << 20
        request.cpu?.shares = 512
        let merged = ResourceMerge.merged(saved: saved(), request: ResourceMerge.fixedUp(request))
        XCTAssertEqual(merged.memory?.limit, 150 << 20)
        XCTAssertEqual(merged.memory?.swap, 200 << 20, "kept")
        XCTAssertEqual(merged.memory?.swappiness, 10, "not updatable: kept")
        XCTAssertEqual(merged.memory?.checkBeforeUpdate, false, "runc's constant")
        XCTAssertEqual(merged.cpu?.shares, 512)
        XCTAssertNil(merged.cpu?.quota, "quota and period are replaced together when neither is given")
        XCTAssertNil(merged.cpu?.period)
        XCTAssertNil(merged.cpu?.cpus, "cpus always replaced")
        XCTAssertNil(merged.pids, "pids always replaced")
        XCTAssertEqual(merged.hugepageLimits?.count, 1, "not updatable: kept")
        XCTAssertNil(merged.devices, "device rules are never applied by update")
    }

    func testQuotaOrPeriodAloneKeepsTheOther() {
        var request = UpdateRequest().resources
        request.cpu?.period = 20000
        var merged = ResourceMerge.merged(saved: saved(), request: request)
        XCTAssertEqual(merged.cpu?.period, 20000)
        XCTAssertEqual(merged.cpu?.quota, 50000)
        request = UpdateRequest().resources
        request.cpu?.quota = 7000
        merged = ResourceMerge.merged(saved: saved(), request: request)
        XCTAssertEqual(merged.cpu?.quota, 7000)
        XCTAssertEqual(merged.cpu?.period, 100000)
    }

    func testFixUps() {
        var request = UpdateRequest().resources
        request.memory?.limit = -1
        request.cpu?.idle = 1
        let fixed = ResourceMerge.fixedUp(request)
        XCTAssertEqual(fixed.memory?.swap, 0)
        XCTAssertEqual(fixed.cpu?.shares, 0)
        let merged = ResourceMerge.merged(saved: saved(), request: fixed)
        XCTAssertEqual(merged.memory?.limit, -1)
        XCTAssertEqual(merged.memory?.swap, 0)
        XCTAssertTrue(validateResources(merged).isValid, "\(validateResources(merged).errors)")
    }

    func testBlockIODevicesAreUpserted() {
        var savedIO = LinuxBlockIO()
        var d = LinuxWeightDevice()
        d.major = 8; d.minor = 0; d.weight = 100; d.leafWeight = 50
        var t = LinuxThrottleDevice()
        t.major = 8; t.minor = 0; t.rate = 1000
        savedIO.weightDevice = [d]
        savedIO.throttleReadBpsDevice = [t]
        var s = LinuxResources()
        s.blockIO = savedIO

        var request = UpdateRequest().resources
        var update = LinuxWeightDevice()
        update.major = 8; update.minor = 0; update.weight = 300
        var added = LinuxWeightDevice()
        added.major = 8; added.minor = 16; added.weight = 200
        var rate = LinuxThrottleDevice()
        rate.major = 8; rate.minor = 0; rate.rate = 5000
        request.blockIO?.weightDevice = [update, added]
        request.blockIO?.throttleReadBpsDevice = [rate]
        let merged = ResourceMerge.merged(saved: s, request: request)
        XCTAssertEqual(merged.blockIO?.weightDevice?.count, 2)
        XCTAssertEqual(merged.blockIO?.weightDevice?[0].weight, 300)
        XCTAssertEqual(merged.blockIO?.weightDevice?[0].leafWeight, 50, "an unset leaf weight is kept")
        XCTAssertEqual(merged.blockIO?.weightDevice?[1].minor, 16)
        XCTAssertEqual(merged.blockIO?.throttleReadBpsDevice?.map(\.rate), [5000])
    }
}

final class ProcessTableTests: XCTestCase {
    func testJSONIsGosEncodingOfTheList() {
        XCTAssertEqual(ProcessTable.json([12, 345]), "[12,345]")
        XCTAssertEqual(ProcessTable.json([]), "null")
    }

    func testFilterKeepsTheHeaderAndTheContainersRows() throws {
        let output = """
        UID          PID    PPID  C STIME TTY          TIME CMD
        root           1       0  0 01:00 ?        00:00:01 /sbin/init
        root         120       1  0 01:00 ?        00:00:00 sleep 1000
        root        1200       1  0 01:00 ?        00:00:00 sleep 120

        """
        XCTAssertEqual(try ProcessTable.filter(output, pids: [120, 7]), """
        UID          PID    PPID  C STIME TTY          TIME CMD
        root         120       1  0 01:00 ?        00:00:00 sleep 1000

        """)
        XCTAssertThrowsError(try ProcessTable.filter("USER COMMAND\nroot init\n", pids: [1])) { error in
            XCTAssertEqual("\(error)", "couldn't find PID field in ps output")
        }
        XCTAssertThrowsError(try ProcessTable.filter("PID CMD\nabc init\n", pids: [1])) { error in
            XCTAssertEqual("\(error)", "unable to parse pid: strconv.Atoi: parsing \"abc\": invalid syntax")
        }
    }
}

final class EventsLayoutTests: XCTestCase {
    func testOOMEventHasNoData() throws {
        XCTAssertEqual(try ContainerEvent(type: "oom", id: "c1").line(), #"{"type":"oom","id":"c1"}"# + "\n")
    }

    func testStatsEventFollowsRuncsLayout() throws {
        var stats = CgroupStats()
        stats.cpu.usage.total = 100
        stats.cpu.usage.percpu = [60, 40]
        stats.cpu.usage.user = 70
        stats.memory.usage = CgroupStats.MemoryEntry(limit: 1 << 20, usage: 4096, max: 8192, failcnt: 0)
        stats.memory.raw = ["rss": 4096, "cache": 0]
        stats.pids.current = 2
        stats.blkio.ioServiceBytesRecursive = [CgroupStats.BlkioEntry(major: 8, minor: 0, op: "Read", value: 512)]
        stats.hugetlb["2MB"] = CgroupStats.Hugetlb(usage: 0, max: 0, failcnt: 0)
        let line = try ContainerEvent(type: "stats", id: "c1", data: EventStats(stats)).line()
        let expected = #"{"type":"stats","id":"c1","data":{"cpu":{"usage":{"total":100,"percpu":[60,40],"kernel":0,"user":70}},"#
            + #""cpuset":{"cpu_exclusive":0,"mem_hardwall":0,"mem_exclusive":0,"memory_migrate":0,"memory_spread_page":0,"#
            + #""memory_spread_slab":0,"memory_pressure":0,"sched_load_balance":0,"sched_relax_domain_level":0},"#
            + #""memory":{"usage":{"limit":1048576,"usage":4096,"max":8192,"failcnt":0},"raw":{"cache":0,"rss":4096}},"#
            + #""pids":{"current":2},"blkio":{"ioServiceBytesRecursive":[{"major":8,"op":"Read","value":512}]},"#
            + #""hugetlb":{"2MB":{"failcnt":0}},"intel_rdt":{},"network_interfaces":null}}"# + "\n"
        XCTAssertEqual(line, expected)
    }
}
