// cgroupsPath placement (relative paths go under the caller's own cgroup), resources written
// to the container's cgroup, and removal on delete.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class CgroupTests: IntegrationTestCase {
    /// Hierarchies a container is placed in: every one the caller is in (v1 controllers, named
    /// v1 hierarchies like name=systemd, and the v2 one of a hybrid setup), as runc does.
    private var controllerHierarchies: [String] { TestEnvironment.ownCgroups().keys.sorted() }

    private func join(_ parent: String, _ child: String) -> String {
        parent == "/" ? "/" + child : parent + "/" + child
    }

    func testRelativeCgroupsPathIsUnderTheCallersCgroupAndRemovedOnDelete() throws {
        let parent = token + "-parent"
        let relative = parent + "/" + token + "-leaf"
        let bundle = try makeBundle(["sleep", "30"])
        bundle.config["linux.cgroupsPath"] = relative
        let id = newID()
        let pid = try create(bundle, id: id)

        let own = TestEnvironment.ownCgroups()
        let container = TestEnvironment.ownCgroups(pid: "\(pid)")
        let mounts = TestEnvironment.cgroupMounts()
        XCTAssertFalse(controllerHierarchies.isEmpty)
        var leafDirs: [String] = []
        for hierarchy in controllerHierarchies {
            let want = join(own[hierarchy] ?? "?", relative)
            XCTAssertEqual(container[hierarchy], want, "\(hierarchy) cgroup of the container process")
            if let mount = mounts[hierarchy] {
                let dir = mount + want
                leafDirs.append(dir)
                let procs = Subprocess.read(dir + "/cgroup.procs").split(separator: "\n")
                XCTAssertTrue(procs.contains("\(pid)"), "\(dir)/cgroup.procs: \(procs)")
            }
        }
        try start(id)
        try waitForStatus(id, "running")
        try delete(id, force: true)
        for dir in leafDirs {
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir), "cgroup dir kept after delete: \(dir)")
        }
        // The intermediate directory is the caller's to remove (runc leaves it too).
        for hierarchy in Set(TestEnvironment.ownCgroups().keys) {
            if let mount = mounts[hierarchy] { rmdir(mount + join(own[hierarchy] ?? "/", parent)) }
        }
        assertNoLeaks("after delete")
    }

    func testWithoutCgroupsPathTheContainerGetsItsOwnCgroupUnderTheCallers() throws {
        let bundle = try makeBundle(["sleep", "30"])
        bundle.config["linux.cgroupsPath"] = nil
        let id = newID()
        let pid = try create(bundle, id: id)
        let own = TestEnvironment.ownCgroups()
        let container = TestEnvironment.ownCgroups(pid: "\(pid)")
        for hierarchy in controllerHierarchies {
            let path = container[hierarchy] ?? "?"
            let base = own[hierarchy] ?? "?"
            XCTAssertNotEqual(path, base, "\(hierarchy): the container shares the caller's cgroup")
            XCTAssertTrue(path.hasPrefix(base == "/" ? "/" : base + "/"), "\(hierarchy): \(path) is not under \(base)")
            XCTAssertTrue(path.contains(id), "\(hierarchy): \(path) is not named after the container")
        }
        try delete(id, force: true)
        assertNoLeaks("after delete")
    }

    func testResourcesAreWrittenToTheContainersCgroup() throws {
        let bundle = try makeBundle(["sleep", "30"])
        bundle.config["linux.cgroupsPath"] = token + "-res"
        bundle.config["linux.resources.memory"] = ["limit": 64 << 20]
        bundle.config["linux.resources.pids"] = ["limit": 50]
        bundle.config["linux.resources.cpu"] = ["shares": 512]
        let id = newID()
        let pid = try create(bundle, id: id)
        let mounts = TestEnvironment.cgroupMounts()
        let container = TestEnvironment.ownCgroups(pid: "\(pid)")
        func value(_ hierarchy: String, _ file: String) -> String {
            guard let mount = mounts[hierarchy], let path = container[hierarchy] else { return "no \(hierarchy) hierarchy" }
            return Subprocess.read(mount + path + "/" + file).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        XCTAssertEqual(value("memory", "memory.limit_in_bytes"), "\(64 << 20)")
        XCTAssertEqual(value("pids", "pids.max"), "50")
        XCTAssertEqual(value("cpu", "cpu.shares"), "512")
        try delete(id, force: true)
        assertNoLeaks("after delete")
    }

    func testPidsLimitIsEnforcedInsideTheContainer() throws {
        let bundle = try makeBundle(["sh", "-c", "for i in 1 2 3 4 5 6; do sleep 1 & done 2>&1; wait"])
        bundle.config["linux.cgroupsPath"] = token + "-pids"
        bundle.config["linux.resources.pids"] = ["limit": 4]
        let result = try run(bundle, timeout: 20)
        XCTAssertTrue(result.stdout.contains("Resource temporarily unavailable") || result.stderr.contains("fork"),
                      "6 background sleeps under pids.max 4 all started: \(result)")
        assertNoLeaks("after run")
    }
}
