import Foundation
import XCTest
import struct Linux.SyscallError
import OCISpec
@testable import Runtime

final class SignalsTests: XCTestCase {
    func testNamesNumbersAndPrefixes() throws {
        XCTAssertEqual(try Signals.parse("TERM"), 15)
        XCTAssertEqual(try Signals.parse("SIGTERM"), 15)
        XCTAssertEqual(try Signals.parse("sigkill"), 9)
        XCTAssertEqual(try Signals.parse("9"), 9)
        XCTAssertEqual(try Signals.parse("RTMIN+2"), 36)
        XCTAssertEqual(try Signals.parse("SIGRTMAX-1"), 63)
        XCTAssertEqual(try Signals.parse("Kill"), 9)
        XCTAssertEqual(try Signals.parse("SIGSYS"), 31)
    }

    /// As runc: a number is the kernel's to judge (0 probes; 65 or -1 fail at the syscall).
    func testNumbersPassThrough() throws {
        XCTAssertEqual(try Signals.parse("0"), 0)
        XCTAssertEqual(try Signals.parse("65"), 65)
        XCTAssertEqual(try Signals.parse("-9"), -9)
        XCTAssertEqual(try Signals.parse("+9"), 9)
    }

    func testRejectsUnknownNames() {
        for bad in ["FOO", "SIGFOO", "", "SIG", "9x", " 9", "RTMIN+40", "SIGRTMAX+1"] {
            XCTAssertThrowsError(try Signals.parse(bad), bad) { error in
                XCTAssertEqual("\(error)", "unknown signal \"\(bad)\"", bad)
            }
        }
    }
}

final class StateStoreTests: XCTestCase {
    func testRecoveryJSONIsWhatTheEncoderWritesAndReadsBack() throws {
        let record = RecoveryRecord(cgroupPaths: ["pids": "/sys/fs/cgroup/pids/a", "": "/sys/fs/cgroup/unified/a",
                                                  "name=systemd": "/sys/fs/cgroup/systemd/a \"q\""])
        XCTAssertEqual(String(decoding: record.jsonBytes, as: UTF8.self), try encodeJSON(record))
        XCTAssertEqual(try decodeJSON(RecoveryRecord.self, from: record.jsonBytes), record)
    }

    func testIDRules() {
        XCTAssertNoThrow(try StateStore.validate(id: "abc-DEF_1.2+3"))
        for bad in ["", ".", "..", "a/b", "a b", String(repeating: "x", count: 1025), "ü"] {
            XCTAssertThrowsError(try StateStore.validate(id: bad), bad)
        }
    }

    func testClaimIsExclusiveAndStateRoundTrips() throws {
        let root = NSTemporaryDirectory() + "swiftlet-store-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = StateStore(root: root)
        let lock = try store.claim(id: "one")
        XCTAssertThrowsError(try store.claim(id: "one")) { error in
            XCTAssertEqual("\(error)", "container with given ID already exists")
        }
        var record = ContainerRecord(id: "one", bundle: "/b", initPid: 42, initStartTime: 7, created: "now",
                                     ociVersion: "1.3.0", annotations: ["k": "v/w"], poststart: nil,
                                     poststop: [Hook(path: "/bin/true")], cgroupPaths: ["memory": "/sys/fs/cgroup/memory/x"])
        record.rootfs = "/b/rootfs"
        try store.save(record)
        XCTAssertEqual(try store.load(id: "one"), record)
        XCTAssertEqual(store.listIDs(), ["one"])
        _ = lock
        try store.remove(id: "one")
        XCTAssertThrowsError(try store.load(id: "one")) { XCTAssertEqual("\($0)", "container does not exist") }
    }

    func testCorruptStateIsAClearError() throws {
        let root = NSTemporaryDirectory() + "swiftlet-store-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = StateStore(root: root)
        _ = try store.claim(id: "bad")
        try "{\"id\": ".write(toFile: store.statePath(for: "bad"), atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try store.load(id: "bad")) { error in
            XCTAssertTrue("\(error)".contains("corrupt state file"), "\(error)")
        }
    }
}

final class FormattingTests: XCTestCase {
    func testRFC3339() {
        XCTAssertEqual(rfc3339(seconds: 0, nanoseconds: 5), "1970-01-01T00:00:00.000000005Z")
        XCTAssertEqual(rfc3339(seconds: 1_800_000_000, nanoseconds: 123_456_789), "2027-01-15T08:00:00.123456789Z")
        // The date arithmetic against glibc's gmtime_r, over leap days, centuries and before 1970.
        for seconds in stride(from: -2_208_988_800, through: 4_102_444_800, by: 3_591_937) + [951_782_400, 951_868_799, 4_107_542_400] {
            var t = time_t(seconds)
            var tm = tm()
            gmtime_r(&t, &tm)
            let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02d.000000000Z", tm.tm_year + 1900, tm.tm_mon + 1,
                                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec)
            XCTAssertEqual(rfc3339(seconds: seconds, nanoseconds: 0), expected, "\(seconds)")
        }
    }

    func testMillis() {
        XCTAssertEqual(formatMillis(0.0012345), "1.235ms")
        XCTAssertEqual(formatMillis(2), "2000.000ms")
    }

    func testIDMapRendering() {
        let maps = [LinuxIDMapping(containerID: 0, hostID: 100000, size: 65536), LinuxIDMapping(containerID: 65536, hostID: 1, size: 1)]
        XCTAssertEqual(IDMapWriter.render(maps), "0 100000 65536\n65536 1 1\n")
    }
}

final class ExecutableLookupTests: XCTestCase {
    func testFindsInPathAndReportsLikeRunc() throws {
        XCTAssertEqual(try ExecutableLookup.find("sh", path: "/nonexistent:/bin", cwd: "/"), "/bin/sh")
        XCTAssertThrowsError(try ExecutableLookup.find("no-such-tool", path: "/bin:/usr/bin", cwd: "/")) { error in
            XCTAssertEqual("\(error)", "exec: \"no-such-tool\": executable file not found in $PATH")
        }
        XCTAssertThrowsError(try ExecutableLookup.find("/no/such", path: nil, cwd: "/")) { error in
            XCTAssertEqual("\(error)", "exec: \"/no/such\": stat /no/such: no such file or directory")
        }
        let plain = NSTemporaryDirectory() + "swiftlet-plain-\(getpid())"
        FileManager.default.createFile(atPath: plain, contents: Data("x".utf8), attributes: [.posixPermissions: 0o644])
        defer { try? FileManager.default.removeItem(atPath: plain) }
        XCTAssertThrowsError(try ExecutableLookup.find(plain, path: nil, cwd: "/")) { error in
            XCTAssertEqual("\(error)", "exec: \"\(plain)\": permission denied")
        }
    }
}

final class InitThreadCheckTests: XCTestCase {
    func testAnEINVALInAMultiThreadedProcessNamesTheThreads() throws {
        // A second thread of our own: the very situation init must never be in.
        let stop = DispatchSemaphore(value: 0), started = DispatchSemaphore(value: 0)
        let thread = Thread { started.signal(); stop.wait() }
        thread.start()
        started.wait()
        defer { stop.signal() }
        let threads = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count
        XCTAssertGreaterThan(threads, 1)
        let explained = "\(InitStages.explainingThreads(SyscallError("setns", path: "/proc/1/ns/mnt", errno: EINVAL)))"
        XCTAssertTrue(explained.hasPrefix("init must be single-threaded, has "), explained)
        XCTAssertTrue(explained.hasSuffix("setns /proc/1/ns/mnt: invalid argument"), explained)
    }

    func testOtherErrorsAreLeftAsTheyAre() {
        let error = SyscallError("setns", path: "/proc/1/ns/mnt", errno: EPERM)
        XCTAssertEqual(InitStages.explainingThreads(error) as? SyscallError, error)
        let other = RuntimeError("something else")
        XCTAssertEqual("\(InitStages.explainingThreads(other))", "something else")
    }
}
