import Foundation
import XCTest
import OCISpec
@testable import Cgroups

/// The v1 manager on this machine's real v1 hierarchies (root only; hybrid or v1 hosts).
final class RealV1CgroupTests: XCTestCase {
    var layout: CgroupLayout!
    var sleepers: [Foundation.Process] = []

    override func setUpWithError() throws {
        try XCTSkipUnless(RealCgroups.isRoot, "needs root")
        layout = try CgroupLayout.detect()
        try XCTSkipIf(layout.mode == .unified, "needs cgroup v1 hierarchies")
    }

    override func tearDown() {
        for process in sleepers where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        if let layout { RealCgroups.removeParent(layout) }
    }

    func makeManager(_ name: String) throws -> CgroupManager {
        try makeCgroupManager(cgroupsPath: "\(RealCgroups.parentName)/\(name)", containerID: name, layout: layout)
    }

    func sleeper() throws -> Foundation.Process {
        let process = try RealCgroups.spawnSleeper()
        sleepers.append(process)
        return process
    }

    func testRealV1DetectionMatchesProcSelfCgroup() throws {
        XCTAssertNotNil(layout.hierarchy(for: "memory"))
        XCTAssertNotNil(layout.hierarchy(for: "devices"))
        let memoryLine = try XCTUnwrap(RealCgroups.read("/proc/self/cgroup")?.split(separator: "\n").first { $0.contains(":memory:") })
        XCTAssertEqual(layout.callerCgroups["memory"], String(memoryLine.split(separator: ":", maxSplits: 2)[2]))
    }

    func testRealV1CreateApplyAddProcessDestroy() throws {
        let manager = try makeManager("life")
        let paths = manager.paths
        let memory = try XCTUnwrap(paths["memory"])
        XCTAssertTrue(memory.hasPrefix(try XCTUnwrap(layout.callerDirectory(for: "memory")) + "/"), memory)
        try manager.create()
        for dir in Set(paths.values) { XCTAssertTrue(RealCgroups.exists(dir), dir) }

        var resources = LinuxResources()
        resources.memory = LinuxMemory()
        resources.memory?.limit = 64 << 20
        resources.memory?.reservation = 32 << 20
        let hasSwapAccounting = RealCgroups.exists(memory + "/memory.memsw.limit_in_bytes")
        if hasSwapAccounting { resources.memory?.swap = 128 << 20 }
        resources.pids = LinuxPids(limit: 20)
        resources.cpu = LinuxCPU()
        resources.cpu?.shares = 512
        resources.cpu?.quota = 20_000
        resources.cpu?.period = 100_000
        resources.cpu?.cpus = "0"
        resources.devices = DefaultDeviceRules.containerRules(resources: nil, linuxDevices: nil)
        try manager.apply(resources)

        XCTAssertEqual(RealCgroups.read(memory + "/memory.limit_in_bytes"), "\(64 << 20)")
        XCTAssertEqual(RealCgroups.read(memory + "/memory.soft_limit_in_bytes"), "\(32 << 20)")
        if hasSwapAccounting { XCTAssertEqual(RealCgroups.read(memory + "/memory.memsw.limit_in_bytes"), "\(128 << 20)") }
        XCTAssertEqual(RealCgroups.read(paths["pids"]! + "/pids.max"), "20")
        XCTAssertEqual(RealCgroups.read(paths["cpu"]! + "/cpu.shares"), "512")
        XCTAssertEqual(RealCgroups.read(paths["cpu"]! + "/cpu.cfs_quota_us"), "20000")
        XCTAssertEqual(RealCgroups.read(paths["cpuset"]! + "/cpuset.cpus"), "0")
        XCTAssertNotEqual(RealCgroups.read(paths["cpuset"]! + "/cpuset.mems"), "", "mems inherited from the parent")
        let devices = try XCTUnwrap(RealCgroups.read(paths["devices"]! + "/devices.list")).split(separator: "\n").map(String.init)
        XCTAssertFalse(devices.contains("a *:* rwm"), "deny-all first")
        XCTAssertTrue(devices.contains("c 1:3 rwm"))
        XCTAssertTrue(devices.contains("c 136:* rwm"))
        XCTAssertTrue(devices.contains("b *:* m"))

        // Applying the same rules again is a no-op; a second pass must not fail.
        try manager.apply(resources)

        let process = try sleeper()
        let pid = process.processIdentifier
        try manager.addProcess(pid: pid)
        XCTAssertEqual(try manager.pids(), [pid])
        let procCgroup = try XCTUnwrap(RealCgroups.read("/proc/\(pid)/cgroup"))
        XCTAssertTrue(procCgroup.contains(":memory:\(layout.callerCgroups["memory"]!)/\(RealCgroups.parentName)/life"), procCgroup)

        let stats = try manager.stats()
        XCTAssertEqual(stats.pids.current, 1)
        XCTAssertEqual(stats.pids.limit, 20)
        XCTAssertEqual(stats.memory.usage.limit, 64 << 20)
        // v1 does not move existing charges with the process: compare with the kernel's figure.
        XCTAssertEqual("\(stats.memory.usage.usage)", RealCgroups.read(memory + "/memory.usage_in_bytes"))
        XCTAssertEqual(stats.cpuset.cpus, [0])
        XCTAssertEqual(try manager.oomKillCount(), 0)

        try manager.killAll(signal: SIGKILL)
        RealCgroups.waitForExit(process)
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        XCTAssertEqual(process.terminationStatus, SIGKILL)

        try manager.destroy()
        for dir in Set(paths.values) { XCTAssertFalse(RealCgroups.exists(dir), dir) }
        XCTAssertFalse(manager.exists())
    }

    func testRealV1FreezeAndThaw() throws {
        let manager = try makeManager("freeze")
        try manager.create()
        let process = try sleeper()
        try manager.addProcess(pid: process.processIdentifier)
        XCTAssertEqual(try manager.freezerState(), .thawed)
        try manager.freeze()
        XCTAssertTrue(try manager.isFrozen())
        XCTAssertEqual(RealCgroups.read(manager.paths["freezer"]! + "/freezer.state"), "FROZEN")
        try manager.thaw()
        XCTAssertEqual(try manager.freezerState(), .thawed)
        // A signal other than SIGKILL goes through freeze, list, signal, thaw.
        try manager.killAll(signal: SIGTERM)
        RealCgroups.waitForExit(process)
        XCTAssertEqual(process.terminationStatus, SIGTERM)
        XCTAssertEqual(try manager.freezerState(), .thawed)
        try manager.destroy()
    }

    func testRealV1MemoryLimitsCanBeLoweredAndRaisedWithSwap() throws {
        let manager = try makeManager("memsw")
        try manager.create()
        let memory = manager.paths["memory"]!
        try XCTSkipUnless(RealCgroups.exists(memory + "/memory.memsw.limit_in_bytes"), "no swap accounting")
        for (limit, swap) in [(Int64(64 << 20), Int64(128 << 20)), (32 << 20, 48 << 20), (256 << 20, 512 << 20), (-1, -1)] {
            var resources = LinuxResources()
            resources.memory = LinuxMemory()
            resources.memory?.limit = limit
            resources.memory?.swap = swap
            try manager.apply(resources)
            let expectLimit = limit == -1 ? nil : "\(limit)"
            if let expectLimit {
                XCTAssertEqual(RealCgroups.read(memory + "/memory.limit_in_bytes"), expectLimit)
                XCTAssertEqual(RealCgroups.read(memory + "/memory.memsw.limit_in_bytes"), "\(swap)")
            } else {
                // -1 reads back as the page-aligned maximum.
                XCTAssertEqual(RealCgroups.read(memory + "/memory.limit_in_bytes"),
                               RealCgroups.read(memory + "/memory.memsw.limit_in_bytes"))
            }
        }
        try manager.destroy()
    }

    func testRealV1KernelErrorsNameFieldAndFile() throws {
        let manager = try makeManager("errors")
        try manager.create()
        var resources = LinuxResources()
        resources.cpu = LinuxCPU()
        resources.cpu?.shares = 1
        XCTAssertThrowsError(try manager.apply(resources)) { error in
            XCTAssertEqual("\(error)", "linux.resources.cpu.shares: the minimum allowed cpu-shares is 2")
        }
        resources = LinuxResources()
        resources.cpu = LinuxCPU()
        resources.cpu?.cpus = "99"
        XCTAssertThrowsError(try manager.apply(resources)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("linux.resources.cpu.cpus: write \(manager.paths["cpuset"]!)/cpuset.cpus: "), text)
        }
        try manager.destroy()
    }

    func testRealV1DeviceUpdateKeepsDevicesAllowedThroughout() throws {
        let manager = try makeManager("devices")
        try manager.create()
        var resources = LinuxResources()
        resources.devices = DefaultDeviceRules.containerRules(resources: nil, linuxDevices: nil)
        try manager.apply(resources)
        // Adding /dev/fuse and dropping write on /dev/full: only the difference is written.
        resources.devices! += [LinuxDeviceCgroup(allow: true, type: "c", major: 10, minor: 229, access: "rwm"),
                               LinuxDeviceCgroup(allow: false, type: "c", major: 1, minor: 7, access: "w")]
        try manager.apply(resources)
        let list = try XCTUnwrap(RealCgroups.read(manager.paths["devices"]! + "/devices.list")).split(separator: "\n").map(String.init)
        XCTAssertTrue(list.contains("c 10:229 rwm"))
        XCTAssertTrue(list.contains("c 1:7 rm"), "\(list)")
        // An allow-all list turns it back into a black-list.
        resources.devices = [LinuxDeviceCgroup(allow: true, type: "a", access: "rwm")]
        try manager.apply(resources)
        XCTAssertEqual(RealCgroups.read(manager.paths["devices"]! + "/devices.list"), "a *:* rwm")
        try manager.destroy()
    }

    func testRealV1DestroyKillsAndRemovesNestedChildCgroups() throws {
        let manager = try makeManager("nested")
        try manager.create()
        let outer = try sleeper()
        try manager.addProcess(pid: outer.processIdentifier)
        // The container made its own sub-cgroup and moved a process there.
        let inner = try sleeper()
        let memory = manager.paths["memory"]!
        try FileManager.default.createDirectory(atPath: memory + "/sub/deeper", withIntermediateDirectories: true)
        try "\(inner.processIdentifier)".write(toFile: memory + "/sub/deeper/cgroup.procs", atomically: false, encoding: .utf8)
        let pids = try manager.pids()
        XCTAssertTrue(Set(pids).isSuperset(of: [outer.processIdentifier]), "\(pids)")
        // pids() walks the primary (devices) hierarchy; the nested memory cgroup shows there only if created there.
        XCTAssertTrue(try CgroupTree.allProcesses(in: memory).contains(inner.processIdentifier))

        kill(inner.processIdentifier, SIGKILL)
        try manager.destroy(killingRemaining: true)
        RealCgroups.waitForExit(outer)
        RealCgroups.waitForExit(inner)
        XCTAssertFalse(RealCgroups.exists(memory))
    }

    func testRealV1OOMEventFDRegisters() throws {
        let manager = try makeManager("oom")
        try manager.create()
        let fd = try manager.oomEventFD()
        XCTAssertGreaterThanOrEqual(fd, 0)
        close(fd)
        try manager.destroy()
    }
}
