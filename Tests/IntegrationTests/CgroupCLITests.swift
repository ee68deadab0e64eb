// The cgroup commands against real containers: limits from config.json and from `update`
// read back from the kernel's files, limits enforced (OOM kill, fork refused), pause/resume
// seen in the tasks' states, ps and events output, kill --all reaching every process.
// Containers go under the caller's own cgroups (a relative cgroupsPath), never at a
// hierarchy root. The helpers are in CgroupCLIHarness.swift.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class CgroupCLITests: XCTestCase {
    private var harness: CgroupCLIHarness!

    override func setUpWithError() throws {
        harness = try CgroupCLIHarness.make(test: self)
    }

    // MARK: limits from config.json

    func testResourcesFromConfigReadBackFromTheKernel() throws {
        let c = try harness.start(resources: [
            "memory": ["limit": 64 << 20],
            "pids": ["limit": 42],
            "cpu": ["quota": 25000, "period": 100000, "shares": 512],
        ])
        if harness.cgroups.isUnified {
            XCTAssertEqual(try c.cgroupFile("memory", "memory.max"), "\(64 << 20)")
            XCTAssertEqual(try c.cgroupFile("pids", "pids.max"), "42")
            XCTAssertEqual(try c.cgroupFile("cpu", "cpu.max"), "25000 100000")
        } else {
            XCTAssertEqual(try c.cgroupFile("memory", "memory.limit_in_bytes"), "\(64 << 20)")
            XCTAssertEqual(try c.cgroupFile("pids", "pids.max"), "42")
            XCTAssertEqual(try c.cgroupFile("cpu", "cpu.cfs_quota_us"), "25000")
            XCTAssertEqual(try c.cgroupFile("cpu", "cpu.cfs_period_us"), "100000")
            XCTAssertEqual(try c.cgroupFile("cpu", "cpu.shares"), "512")
        }
        // The container sits below our own cgroup, not at the hierarchy root.
        let own = harness.cgroups.ownPath("memory")
        let its = harness.cgroups.path(of: c.initPid, controller: "memory")
        XCTAssertTrue(its.hasPrefix(own == "/" ? "/" : own + "/"), "\(its) is not below \(own)")
    }

    // MARK: enforcement

    func testMemoryLimitOOMKillsAndEventsReportsIt() throws {
        let c = try harness.start(resources: ["memory": ["limit": 32 << 20]])
        let events = try harness.background(["events", "--interval", "1h", c.id])
        defer { events.stop() }
        // Under the limit: a 4 MiB buffer is fine, and no oom event appears.
        let small = try harness.run(["exec", c.id, "dd", "if=/dev/zero", "of=/dev/null", "bs=4M", "count=1"])
        XCTAssertEqual(small.status, 0, small.stderr)
        usleep(300_000)
        XCTAssertFalse(events.output().contains("\"oom\""), events.output())
        // Over it: dd touches a 64 MiB buffer and the kernel kills it.
        let big = try harness.run(["exec", c.id, "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"])
        XCTAssertEqual(big.status, 128 + SIGKILL, "stdout: \(big.stdout) stderr: \(big.stderr)")
        XCTAssertGreaterThan(try c.oomKills(unified: harness.cgroups.isUnified), 0)
        let line = try events.waitForLine(containing: "\"oom\"", timeout: 5)
        let event = try harness.jsonObject(line)
        XCTAssertEqual(event["type"] as? String, "oom")
        XCTAssertEqual(event["id"] as? String, c.id)
        XCTAssertNil(event["data"], "runc's oom event has no data member")
        // events ends by itself once the container stops.
        XCTAssertEqual(try harness.run(["kill", c.id, "KILL"]).status, 0)
        XCTAssertEqual(events.wait(timeout: 10), 0, events.stderrText())
    }

    func testPidsLimitStopsFork() throws {
        let c = try harness.start(resources: ["pids": ["limit": 6]])
        // init is one task; the shell started by exec another; its sleeps take the rest.
        let script = "i=0; while [ $i -lt 12 ]; do sleep 100 & i=$((i+1)); done; sleep 0.2; echo started"
        let run = try harness.run(["exec", "-d", c.id, "sh", "-c", script])
        XCTAssertEqual(run.status, 0, run.stderr)
        usleep(800_000)
        let current = try XCTUnwrap(Int(try c.cgroupFile("pids", "pids.current")))
        XCTAssertLessThanOrEqual(current, 6)
        XCTAssertGreaterThanOrEqual(current, 4, "the shell did start some sleeps")
        if FileManager.default.fileExists(atPath: try c.cgroupDirectory("pids") + "/pids.events") {
            let events = try c.cgroupFile("pids", "pids.events")
            let refused = events.split(separator: "\n").first { $0.hasPrefix("max ") }.flatMap { Int($0.dropFirst(4)) } ?? 0
            XCTAssertGreaterThan(refused, 0, "pids.events: \(events)")
        }
        let pids = try harness.psJSON(c.id)
        XCTAssertLessThanOrEqual(pids.count, 6)
    }

    // MARK: update

    func testUpdateChangesARunningContainersLimits() throws {
        let c = try harness.start(resources: ["memory": ["limit": 64 << 20], "pids": ["limit": 20]])
        var r = try harness.run(["update", "--memory", "96m", "--pids-limit", "30", "--cpu-quota", "30000",
                                 "--cpu-period", "100000", "--cpu-share", "256", c.id])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try c.memoryLimit(unified: harness.cgroups.isUnified), "\(96 << 20)")
        XCTAssertEqual(try c.cgroupFile("pids", "pids.max"), "30")
        if !harness.cgroups.isUnified {
            XCTAssertEqual(try c.cgroupFile("cpu", "cpu.cfs_quota_us"), "30000")
            XCTAssertEqual(try c.cgroupFile("cpu", "cpu.shares"), "256")
        }

        // Flags after the id, as runc 1.5 takes them; a period alone leaves the quota.
        r = try harness.run(["update", c.id, "--cpu-period", "50000"])
        XCTAssertEqual(r.status, 0, r.stderr)
        if !harness.cgroups.isUnified {
            XCTAssertEqual(try c.cgroupFile("cpu", "cpu.cfs_period_us"), "50000")
            XCTAssertEqual(try c.cgroupFile("cpu", "cpu.cfs_quota_us"), "30000")
        } else {
            XCTAssertEqual(try c.cgroupFile("cpu", "cpu.max"), "30000 50000")
        }

        // --resources on stdin: every other flag is ignored.
        r = try harness.run(["update", "--memory", "200m", "--resources", "-", c.id],
                            stdin: #"{"memory": {"limit": 50331648}, "pids": {"limit": -1}}"#)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try c.memoryLimit(unified: harness.cgroups.isUnified), "50331648")
        XCTAssertEqual(try c.cgroupFile("pids", "pids.max"), "max")

        // --resources from a file.
        let file = harness.scratch + "/resources.json"
        try #"{"pids": {"limit": 12}}"#.write(toFile: file, atomically: true, encoding: .utf8)
        r = try harness.run(["update", "-r", file, c.id])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try c.cgroupFile("pids", "pids.max"), "12")
        XCTAssertEqual(try c.memoryLimit(unified: harness.cgroups.isUnified), "50331648", "unmentioned limits stay")

        // Bad values are refused before anything is written, naming the flag or the field.
        r = try harness.run(["update", "--memory", "12x", c.id])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("invalid value for memory"), r.stderr)
        r = try harness.run(["update", "--blkio-weight", "5", c.id])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("blockIO.weight"), r.stderr)
        r = try harness.run(["update", "--resources", "-", c.id], stdin: #"{"cpu": {"idle": 7}}"#)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("cpu.idle"), r.stderr)
        XCTAssertEqual(try c.cgroupFile("pids", "pids.max"), "12")

        // A stopped container has nothing to update.
        XCTAssertEqual(try harness.run(["kill", c.id, "KILL"]).status, 0)
        try harness.waitForStatus(c.id, "stopped")
        r = try harness.run(["update", "--pids-limit", "5", c.id])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("container not running"), r.stderr)
    }

    // MARK: pause / resume

    func testPauseFreezesEveryProcessAndResumeThaws() throws {
        let c = try harness.start(args: ["sh", "-c", "sleep 1000 & sleep 1000 & wait"])
        let pids = try harness.waitForPids(c.id, count: 3)
        XCTAssertEqual(try harness.run(["pause", c.id]).status, 0)
        XCTAssertEqual(try harness.status(c.id), "paused")
        for pid in pids {
            let state = try XCTUnwrap(harness.taskState(pid))
            XCTAssertTrue(state == "D" || state == "T", "pid \(pid) is in state \(state) while paused")
        }
        var r = try harness.run(["pause", c.id])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("container not running"), r.stderr)

        XCTAssertEqual(try harness.run(["resume", c.id]).status, 0)
        XCTAssertEqual(try harness.status(c.id), "running")
        for pid in pids {
            let state = try XCTUnwrap(harness.taskState(pid))
            XCTAssertTrue(state == "S" || state == "R", "pid \(pid) is in state \(state) after resume")
        }
        r = try harness.run(["resume", c.id])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("container not paused"), r.stderr)
    }

    func testPauseOfACreatedContainerReportsPaused() throws {
        let c = try harness.create(args: ["true"])
        XCTAssertEqual(try harness.status(c.id), "created")
        XCTAssertEqual(try harness.run(["pause", c.id]).status, 0)
        XCTAssertEqual(try harness.status(c.id), "paused")
        XCTAssertEqual(try harness.run(["resume", c.id]).status, 0)
        XCTAssertEqual(try harness.status(c.id), "created")
    }

    // MARK: ps

    func testPsListsTheContainersProcesses() throws {
        let c = try harness.start(args: ["sh", "-c", "sleep 1000 & sleep 1000 & wait"])
        let kernel = try harness.waitForPids(c.id, count: 3)
        let r = try harness.run(["ps", "--format", "json", c.id])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("[") && r.stdout.hasSuffix("]\n"), r.stdout)
        XCTAssertFalse(r.stdout.contains(" "), "compact like Go's encoder: \(r.stdout)")
        let listed = try harness.psJSON(c.id)
        XCTAssertEqual(Set(listed), Set(kernel))
        XCTAssertTrue(listed.contains(c.initPid))

        let table = try harness.run(["ps", c.id, "-o", "pid,comm"])
        XCTAssertEqual(table.status, 0, table.stderr)
        let lines = table.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first.map { $0.split(separator: " ").map(String.init) }, ["PID", "COMMAND"])
        XCTAssertEqual(Set(lines.dropFirst().compactMap { Int32($0.split(separator: " ").first ?? "") }), Set(kernel))
        XCTAssertFalse(table.stdout.contains("\(getpid()) "), "the test process is not in the container")

        let bad = try harness.run(["ps", "--format", "yaml", c.id])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("invalid format option"), bad.stderr)
    }

    // MARK: events --stats

    func testEventsStatsPrintsRuncShapedJSON() throws {
        let c = try harness.start(resources: ["memory": ["limit": 64 << 20], "pids": ["limit": 50]])
        let r = try harness.run(["events", "--stats", c.id])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.filter { $0 == "\n" }.count, 1, "one event, one line")
        let event = try harness.jsonObject(r.stdout)
        XCTAssertEqual(event["type"] as? String, "stats")
        XCTAssertEqual(event["id"] as? String, c.id)
        let data = try XCTUnwrap(event["data"] as? [String: Any])
        for key in ["cpu", "cpuset", "memory", "pids", "blkio", "hugetlb", "intel_rdt", "network_interfaces"] {
            XCTAssertNotNil(data[key], "data.\(key) missing: \(data.keys.sorted())")
        }
        XCTAssertTrue(data["network_interfaces"] is NSNull)
        let memory = try XCTUnwrap(data["memory"] as? [String: Any])
        let usage = try XCTUnwrap(memory["usage"] as? [String: Any])
        XCTAssertGreaterThan((usage["usage"] as? NSNumber)?.uint64Value ?? 0, 0)
        XCTAssertEqual((usage["limit"] as? NSNumber)?.uint64Value, 64 << 20)
        XCTAssertNotNil(usage["failcnt"])
        XCTAssertNotNil(memory["raw"] as? [String: Any])
        let pids = try XCTUnwrap(data["pids"] as? [String: Any])
        XCTAssertEqual((pids["current"] as? NSNumber)?.intValue, 1)
        XCTAssertEqual((pids["limit"] as? NSNumber)?.intValue, 50)
        let cpu = try XCTUnwrap(data["cpu"] as? [String: Any])
        let cpuUsage = try XCTUnwrap(cpu["usage"] as? [String: Any])
        XCTAssertGreaterThan((cpuUsage["total"] as? NSNumber)?.uint64Value ?? 0, 0)
        XCTAssertNotNil(cpuUsage["kernel"])
        XCTAssertNotNil(cpuUsage["user"])

        let stream = try harness.background(["events", "--interval", "200ms", c.id])
        defer { stream.stop() }
        _ = try stream.waitForLine(containing: "\"stats\"", timeout: 5)
        usleep(500_000)
        let lines = stream.output().split(separator: "\n")
        XCTAssertGreaterThanOrEqual(lines.count, 2, "a stats event every 200ms: \(lines.count) lines")
        for line in lines { XCTAssertEqual(try harness.jsonObject(String(line))["type"] as? String, "stats") }

        let zero = try harness.run(["events", "--interval", "0s", c.id])
        XCTAssertEqual(zero.status, 1)
        XCTAssertTrue(zero.stderr.contains("duration interval must be greater than 0"), zero.stderr)
    }

    // MARK: kill --all

    func testKillAllReachesEveryProcess() throws {
        let c = try harness.start(args: ["sh", "-c", "sleep 1000 & sleep 1000 & sleep 1000 & wait"])
        let pids = try harness.waitForPids(c.id, count: 4)
        // Without --all only init is signalled.
        XCTAssertEqual(try harness.run(["kill", c.id, "STOP"]).status, 0)
        usleep(200_000)
        XCTAssertEqual(harness.taskState(c.initPid), "T")
        XCTAssertEqual(pids.filter { $0 != c.initPid }.compactMap { harness.taskState($0) }.filter { $0 == "T" }, [])
        XCTAssertEqual(try harness.run(["kill", c.id, "CONT"]).status, 0)

        XCTAssertEqual(try harness.run(["kill", "--all", c.id, "STOP"]).status, 0)
        usleep(200_000)
        for pid in pids { XCTAssertEqual(harness.taskState(pid), "T", "pid \(pid)") }
        XCTAssertEqual(try harness.run(["kill", "--all", c.id, "KILL"]).status, 0)
        try harness.waitForStatus(c.id, "stopped")
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline && pids.contains(where: { harness.taskState($0).map { $0 != "Z" } ?? false }) { usleep(20_000) }
        for pid in pids { XCTAssertNil(harness.taskState(pid).flatMap { $0 == "Z" ? nil : $0 }, "pid \(pid) survived") }
        XCTAssertEqual(try harness.psJSON(c.id), [])
    }
}
