import Foundation
import XCTest
import OCISpec
@testable import Cgroups

/// The v2 manager on this machine's real cgroup2 mount (/sys/fs/cgroup/unified in hybrid
/// mode, which has no controllers here: only the core files are tested for real). The
/// delegation root is a test parent in the caller's own `0::` cgroup, so nothing above it
/// (and no controller in the hierarchy's root) is ever changed.
final class RealV2CgroupTests: XCTestCase {
    var layout: CgroupLayout!
    var sleepers: [Foundation.Process] = []

    override func setUpWithError() throws {
        try XCTSkipUnless(RealCgroups.isRoot, "needs root")
        layout = try CgroupLayout.detect()
        try XCTSkipIf(layout.unifiedMountPoint == nil, "no cgroup2 mount")
    }

    override func tearDown() {
        for process in sleepers where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        if let layout { RealCgroups.removeParent(layout) }
    }

    func makeManager(_ name: String) throws -> V2CgroupManager {
        let caller = try XCTUnwrap(layout.callerDirectory(for: ""))
        let parent = CgroupPath.join(caller, RealCgroups.parentName)
        try CgroupFiles.makeDirectories(parent)
        return V2CgroupManager(directory: CgroupPath.join(parent, name), delegationRoot: parent)
    }

    func sleeper() throws -> Foundation.Process {
        let process = try RealCgroups.spawnSleeper()
        sleepers.append(process)
        return process
    }

    func testRealV2CreateAddFreezeKillDestroy() throws {
        let manager = try makeManager("life")
        try manager.create()
        XCTAssertTrue(manager.exists())
        let process = try sleeper()
        try manager.addProcess(pid: process.processIdentifier)
        XCTAssertEqual(try manager.pids(), [process.processIdentifier])
        let line = try XCTUnwrap(RealCgroups.read("/proc/\(process.processIdentifier)/cgroup")?.split(separator: "\n").first { $0.hasPrefix("0::") })
        XCTAssertTrue(line.hasSuffix("/\(RealCgroups.parentName)/life"), String(line))

        XCTAssertEqual(try manager.freezerState(), .thawed)
        try manager.freeze()
        XCTAssertEqual(try manager.freezerState(), .frozen)
        XCTAssertTrue(RealCgroups.read(manager.directory + "/cgroup.events")?.contains("frozen 1") ?? false)
        try manager.thaw()
        XCTAssertEqual(try manager.freezerState(), .thawed)

        let stats = try manager.stats()
        XCTAssertEqual(stats.pids.current, 1, "counted from cgroup.procs without a pids controller")

        try manager.killAll(signal: SIGKILL)  // cgroup.kill
        RealCgroups.waitForExit(process)
        XCTAssertEqual(process.terminationStatus, SIGKILL)
        try manager.destroy()
        XCTAssertFalse(manager.exists())
    }

    func testRealV2SignalOtherThanKillGoesThroughTheFreezer() throws {
        let manager = try makeManager("term")
        try manager.create()
        let process = try sleeper()
        try manager.addProcess(pid: process.processIdentifier)
        try manager.killAll(signal: SIGTERM)
        RealCgroups.waitForExit(process)
        XCTAssertEqual(process.terminationStatus, SIGTERM)
        XCTAssertEqual(try manager.freezerState(), .thawed, "thawed again after signalling")
        try manager.destroy()
    }

    func testRealV2DestroyRemovesNestedChildrenAndKillsWhenAsked() throws {
        let manager = try makeManager("nested")
        try manager.create()
        let inner = try sleeper()
        try FileManager.default.createDirectory(atPath: manager.directory + "/sub/deeper", withIntermediateDirectories: true)
        try CgroupTree.addProcess(inner.processIdentifier, to: manager.directory + "/sub/deeper")
        XCTAssertEqual(try manager.pids(), [inner.processIdentifier], "pids are collected recursively")
        try manager.destroy(killingRemaining: true)
        RealCgroups.waitForExit(inner)
        XCTAssertFalse(manager.exists())
    }

    func testRealV2ResourceWithoutControllerIsAClearError() throws {
        let manager = try makeManager("nocontroller")
        try manager.create()
        var resources = LinuxResources()
        resources.pids = LinuxPids(limit: 10)
        XCTAssertThrowsError(try manager.apply(resources)) { error in
            XCTAssertEqual("\(error)", "linux.resources.pids.limit: the pids cgroup controller is not available in \(manager.directory) (see its cgroup.controllers)")
        }
        try manager.destroy()
    }
}
