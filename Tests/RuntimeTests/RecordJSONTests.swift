import XCTest
@testable import OCISpec
@testable import Runtime

/// state.json and init's bootstrap go through hand-written readers and writers
/// (ContainerRecordJSON.swift, InitBootstrapJSON.swift); they must write what the Codable
/// encoder writes and read back what they wrote.
final class RecordJSONTests: XCTestCase {
    func fullRecord() throws -> ContainerRecord {
        var record = ContainerRecord(
            id: "c1", bundle: "/b", initPid: 42, initStartTime: 18_446_744_073_709_551_615,
            created: "2026-12-02T10:00:00.000000000Z", ociVersion: "1.3.0", annotations: ["z": "1", "a": "2"],
            poststart: [Hook(path: "/bin/p", args: ["p", "x"])], poststop: [Hook(path: "/bin/q")],
            cgroupPaths: ["memory": "/sys/fs/cgroup/memory/c1", "": "/sys/fs/cgroup/unified/c1"],
            namespacePaths: ["pid": "/proc/42/ns/pid"], rootless: false)
        record.rootfs = "/b/rootfs"
        record.resources = try LinuxResources.read(fromJSON: Array(#"""
            {"memory":{"limit":1048576,"swap":-1},"cpu":{"shares":512,"cpus":"0-1"},"pids":{"limit":10},
             "blockIO":{"weight":100,"throttleReadBpsDevice":[{"major":8,"minor":0,"rate":1024}]},
             "hugepageLimits":[{"pageSize":"2MB","limit":0}],"unified":{"memory.high":"max"}}
            """#.utf8))
        return record
    }

    func testContainerRecordWritesWhatTheEncoderWritesAndReadsItBack() throws {
        for record in [try fullRecord(), ContainerRecord(id: "c", bundle: "/b", initPid: 1, initStartTime: 2, created: "t",
                                                         ociVersion: "1.3.0", annotations: nil, poststart: nil,
                                                         poststop: nil, cgroupPaths: [:])] {
            XCTAssertEqual(record.json, try SpecEncoder().encodeValue(record))
            let bytes = JSONWriter.bytes(record.json)
            XCTAssertEqual(try ContainerRecord.read(fromJSON: bytes), record)
            XCTAssertEqual(try SpecDecoder().decode(ContainerRecord.self, from: bytes), record)
        }
    }

    func testCorruptRecordNamesTheField() throws {
        XCTAssertThrowsError(try ContainerRecord.read(fromJSON: Array(#"{"id":"c","bundle":"/b","initPid":"x"}"#.utf8))) {
            XCTAssertEqual("\($0)", "initPid: expected integer, got string")
        }
        XCTAssertThrowsError(try ContainerRecord.read(fromJSON: Array(#"{"id":"c","bundle":"/b","initPid":1,"initStartTime":2,"created":"t","ociVersion":"1"}"#.utf8))) {
            XCTAssertEqual("\($0)", "cgroupPaths: missing required field")
        }
    }

    func testBootstrapWritesWhatTheEncoderWritesAndReadsItBack() throws {
        var full = InitBootstrap(mode: .exec, containerID: "c", bundle: "/b", noPivot: true, consoleToParent: true,
                                 preservedFDs: 2, listenFDs: 1, hasSeccomp: true, seccompFlags: 4, seccompNotify: true,
                                 selfJoinCgroups: ["pids": "/sys/fs/cgroup/pids/c", "": "/u"], debug: true, logJSON: true)
        full.cgroupHierarchies = [CgroupHierarchy(mountPoint: "/sys/fs/cgroup/cpu,cpuacct", ownDirectory: "/x", subsystems: ["cpu", "cpuacct"])]
        full.cgroupsReadyFollows = true
        let minimal = InitBootstrap(mode: .create, containerID: "c", bundle: "/b", noPivot: false, consoleToParent: false,
                                    preservedFDs: 0, listenFDs: nil, hasSeccomp: false, seccompFlags: nil, seccompNotify: nil,
                                    selfJoinCgroups: nil, debug: false, logJSON: false)
        for bootstrap in [full, minimal] {
            XCTAssertEqual(bootstrap.json, try SpecEncoder().encodeValue(bootstrap))
            let back = try InitBootstrap.read(fromJSON: JSONWriter.bytes(bootstrap.json))
            XCTAssertEqual(back.json, bootstrap.json)
            XCTAssertEqual(back.cgroupHierarchies, bootstrap.cgroupHierarchies)
        }
        XCTAssertThrowsError(try InitBootstrap.read(fromJSON: Array(#"{"mode":"run"}"#.utf8))) {
            XCTAssertEqual("\($0)", "mode: unknown init mode run")
        }
    }

    func testRecoveryRecordReadsWhatItWrites() throws {
        let record = RecoveryRecord(cgroupPaths: ["memory": "/m", "": "/u"])
        XCTAssertEqual(try RecoveryRecord.read(fromJSON: record.jsonBytes), record)
    }
}
