#if canImport(Glibc)
import Glibc
#endif
import XCTest
@testable import Linux

private extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        let bytes = Array(utf8), find = Array(target.utf8)
        guard let start = (0...(bytes.count - find.count)).first(where: { Array(bytes[$0..<($0 + find.count)]) == find }) else { return self }
        return String(decoding: bytes[..<start] + Array(replacement.utf8) + bytes[(start + find.count)...], as: UTF8.self)
    }
}

final class ProcStatTests: XCTestCase {
    func testStateAndStartTimeAfterACommandNameWithSpacesAndParentheses() {
        let line = "4108 (a (weird) name) S 1 4108 4108 0 -1 4194560 110 0 0 0 0 0 0 0 20 0 1 0 1234567 1675264 196 18446744073709551615\n"
        let fields = ProcessInfo.parseStatFields(Array(line.utf8))
        XCTAssertEqual(fields?.state, UInt8(ascii: "S"))
        XCTAssertEqual(fields?.flags, 4194560)
        XCTAssertEqual(fields?.startTime, 1234567)
        XCTAssertNil(ProcessInfo.parseStatFields(Array("12 (x) Z 1 2".utf8)), "too few fields")
        XCTAssertNil(ProcessInfo.parseStatFields(Array(line.replacingFirst("1234567", with: "12x4567").utf8)), "not a number")
        XCTAssertNil(ProcessInfo.parseStatFields(Array(line.replacingFirst("1234567", with: "99999999999999999999").utf8)), "overflow")
        XCTAssertNil(ProcessInfo.parseStatFields(Array(line.replacingFirst(") S ", with: ") SS ").utf8)), "state is one byte")
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
