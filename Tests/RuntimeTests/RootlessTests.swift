import XCTest
import OCISpec
@testable import Runtime

final class RootlessTests: XCTestCase {
    func testSettingParsesRuncValues() throws {
        XCTAssertEqual(try RootlessSetting(flag: nil), .auto)
        XCTAssertEqual(try RootlessSetting(flag: "true"), .true)
        XCTAssertEqual(try RootlessSetting(flag: "false"), .false)
        XCTAssertThrowsError(try RootlessSetting(flag: "yes"))
        XCTAssertTrue(Rootless.resolve(.true))
        XCTAssertFalse(Rootless.resolve(.false))
    }

    func testOnlyASingleOwnIDIsWrittenDirectly() {
        let own = [LinuxIDMapping(containerID: 0, hostID: 1001, size: 1)]
        XCTAssertTrue(IDMapWriter.ownIDOnly(own, 1001))
        XCTAssertFalse(IDMapWriter.ownIDOnly(own, 1002))
        XCTAssertFalse(IDMapWriter.ownIDOnly([LinuxIDMapping(containerID: 0, hostID: 1001, size: 2)], 1001))
        XCTAssertFalse(IDMapWriter.ownIDOnly(own + [LinuxIDMapping(containerID: 1, hostID: 100000, size: 65536)], 1001))
    }

    func testHelperArgumentsListEachRange() {
        let maps = [LinuxIDMapping(containerID: 0, hostID: 1001, size: 1),
                    LinuxIDMapping(containerID: 1, hostID: 100000, size: 65536)]
        XCTAssertEqual(IDMapWriter.helperArguments(pid: 42, maps), ["42", "0", "1001", "1", "1", "100000", "65536"])
    }

    func testIDRangesFromAMapFile() {
        let ranges = IDRanges(mapFile: "         0       1001          1\n         1     100000      65536\n")
        XCTAssertTrue(ranges.containsInside(0))
        XCTAssertTrue(ranges.containsInside(5))
        XCTAssertTrue(ranges.containsInside(65536))
        XCTAssertFalse(ranges.containsInside(65537))
        XCTAssertFalse(IDRanges(mapFile: "0 1001 1\n").containsInside(5))
    }
}
