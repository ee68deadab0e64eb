import XCTest
import Glibc
@testable import Runtime

final class SyncChannelTests: XCTestCase {
    func testMessagesRoundTripInOrder() throws {
        let (a, b) = try SyncChannel.pair()
        defer { a.close(); b.close() }
        let big = [UInt8](repeating: 0x41, count: 300_000)
        // A large frame needs a reader while it is written: send from a child thread.
        let sender = Thread {
            try? a.send(.childPid(4242))
            try? a.send(.bootstrap(big))
            try? a.send(.failure("stage x: boom"))
            try? a.send(.ready)
        }
        sender.start()
        XCTAssertEqual(try b.receive()?.0, .childPid(4242))
        XCTAssertEqual(try b.receive()?.0, .bootstrap(big))
        XCTAssertThrowsError(try b.expect(.ready, while: "test")) { error in
            XCTAssertEqual("\(error)", "stage x: boom")
        }
        XCTAssertEqual(try b.expect(.ready, while: "test").0, .ready)
    }

    func testUnexpectedMessageIsAProtocolError() throws {
        let (a, b) = try SyncChannel.pair()
        defer { a.close(); b.close() }
        try a.send(.proceed)
        XCTAssertThrowsError(try b.expect(.childPid, while: "namespaces")) { error in
            XCTAssertTrue("\(error)".contains("unexpected proceed message during namespaces"), "\(error)")
        }
    }

    func testPeerGoneIsReported() throws {
        let (a, b) = try SyncChannel.pair()
        a.close()
        defer { b.close() }
        XCTAssertNil(try b.receive())
        XCTAssertThrowsError(try b.expect(.ready, while: "init")) { error in
            XCTAssertTrue("\(error)".contains("init process exited before it was ready"))
        }
    }

    func testFdTravelsWithMessage() throws {
        let (a, b) = try SyncChannel.pair()
        defer { a.close(); b.close() }
        var fds: [Int32] = [-1, -1]
        XCTAssertEqual(pipe(&fds), 0)
        try a.send(.consoleMaster, fd: fds[1])
        let (message, received) = try b.expect(.consoleMaster, while: "console")
        XCTAssertEqual(message, .consoleMaster)
        XCTAssertGreaterThanOrEqual(received, 0)
        XCTAssertEqual(write(received, "x", 1), 1)
        var byte: UInt8 = 0
        XCTAssertEqual(read(fds[0], &byte, 1), 1)
        XCTAssertEqual(byte, UInt8(ascii: "x"))
        close(received); close(fds[0]); close(fds[1])
    }

    func testPassedFDCarriesItsNameAndFD() throws {
        let (a, b) = try SyncChannel.pair()
        defer { a.close(); b.close() }
        var fds: [Int32] = [-1, -1]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]); close(fds[1]) }
        try a.send(.passedFD(PassedFDName.execFifo), fd: fds[1])
        let (message, received) = try b.expect(SyncMessage.Kinds(.passedFD) | .bootstrap, while: "bootstrap")
        XCTAssertEqual(message, .passedFD("exec fifo"))
        XCTAssertGreaterThanOrEqual(received, 0)
        XCTAssertEqual(fcntl(received, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC, "received fds close on exec")
        close(received)
    }

    /// The parent sends config.json to init before anything checks that init is alive: a
    /// peer gone must be an error to report, not a SIGPIPE that kills the runtime.
    func testSendToAGonePeerIsAnErrorNotASignal() throws {
        let (a, b) = try SyncChannel.pair()
        b.close()
        defer { a.close() }
        XCTAssertThrowsError(try a.send(.spec([UInt8](repeating: 0x20, count: 100_000)))) { error in
            XCTAssertTrue("\(error)".contains("sync pipe"), "\(error)")
        }
    }

    /// Stage 1 writes this frame from assembly (sl_clone3_shared_then_exit): 4 bytes, little-endian.
    func testChildPidIsFourLittleEndianBytes() throws {
        XCTAssertEqual(SyncMessage.childPid(0x0102_0304).payload, [4, 3, 2, 1])
        XCTAssertEqual(try SyncMessage(kind: .childPid, payload: [0x39, 0x30, 0, 0]), .childPid(12345))
        XCTAssertThrowsError(try SyncMessage(kind: .childPid, payload: [1, 2, 3]))
        XCTAssertThrowsError(try SyncMessage(kind: .childPid, payload: [0, 0, 0, 0]), "pid 0 is no child")
    }

    func testKindsHoldExactlyTheKindsGiven() {
        let kinds = SyncMessage.Kinds(.needCgroup) | .runRuntimeHooks | .ready
        for kind in [SyncMessage.Kind.bootstrap, .proceed, .childPid, .runRuntimeHooks, .consoleMaster,
                     .seccompListener, .ready, .failure, .needCgroup, .seccompProgram, .spec, .passedFD] {
            XCTAssertEqual(kinds.contains(kind), [.needCgroup, .runRuntimeHooks, .ready].contains(kind), "\(kind)")
        }
    }
}
