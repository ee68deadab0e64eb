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

final class ChildExitTests: XCTestCase {
    func spawn(_ args: [String]) throws -> pid_t {
        var pid: pid_t = 0
        let argv = args.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        XCTAssertEqual(posix_spawn(&pid, args[0], nil, nil, argv, environ), 0)
        return pid
    }

    func testAnExitedChildIsSeenWithoutBeingReaped() throws {
        let pid = try spawn(["/bin/true"])
        var exited = false
        for _ in 0..<500 where !exited {
            exited = ProcessInfo.childHasExited(pid) == true
            if !exited { usleep(2000) }
        }
        XCTAssertTrue(exited)
        // Still ours to reap: WNOWAIT left the zombie.
        var status: Int32 = 0
        XCTAssertEqual(waitpid(pid, &status, 0), pid)
    }

    func testARunningChildHasNotExitedAndAStrangerIsNotOurs() throws {
        let pid = try spawn(["/bin/sleep", "10"])
        defer { kill(pid, SIGKILL); var status: Int32 = 0; waitpid(pid, &status, 0) }
        XCTAssertEqual(ProcessInfo.childHasExited(pid), false)
        XCTAssertNil(ProcessInfo.childHasExited(1))
    }
}
