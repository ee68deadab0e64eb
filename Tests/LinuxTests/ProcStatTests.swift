#if canImport(Glibc)
import Glibc
#endif
import XCTest
@testable import Linux

final class ProcStatTests: XCTestCase {
    func testStateAndStartTimeAfterACommandNameWithSpacesAndParentheses() {
        let line = "4108 (a (weird) name) S 1 4108 4108 0 -1 4194560 110 0 0 0 0 0 0 0 20 0 1 0 1234567 1675264 196 18446744073709551615\n"
        let fields = ProcessInfo.parseStatFields(Array(line.utf8))
        XCTAssertEqual(fields?.state, UInt8(ascii: "S"))
        XCTAssertEqual(fields?.flags, 4194560)
        XCTAssertEqual(fields?.startTime, 1234567)
        XCTAssertNil(ProcessInfo.parseStatFields(Array("12 (x) Z 1 2".utf8)), "too few fields")
    }

    func testOwnProcessIsAliveAndItsStartTimeMatters() {
        let me = getpid()
        let start = ProcessInfo.startTime(of: me)
        XCTAssertNotNil(start)
        XCTAssertTrue(ProcessInfo.isAlive(pid: me, startTime: start))
        XCTAssertFalse(ProcessInfo.isAlive(pid: me, startTime: start! + 1))
        XCTAssertEqual(ProcessInfo.statFields(of: me)?.state, UInt8(ascii: "R"))
        XCTAssertTrue(ProcessInfo.isRunning(pid: me, startTime: start))
        XCTAssertFalse(ProcessInfo.isRunning(pid: me, startTime: start! + 1))
    }
}
