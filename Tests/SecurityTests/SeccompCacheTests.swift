import Foundation
import OCISpec
import XCTest
@testable import Security

final class SeccompCacheTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "swiftlet-seccomp-cache-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func profile(_ errnoRet: UInt = 1) -> LinuxSeccomp {
        var spec = LinuxSeccomp()
        spec.defaultAction = "SCMP_ACT_ERRNO"
        var allowed = LinuxSyscall(names: ["read", "write", "getpid"], action: "SCMP_ACT_ALLOW")
        allowed.errnoRet = nil
        var denied = LinuxSyscall(names: ["mkdir"], action: "SCMP_ACT_ERRNO")
        denied.errnoRet = errnoRet
        spec.syscalls = [allowed, denied]
        return spec
    }

    private func entries() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    func testStoresAndReusesAMatchingEntry() throws {
        let cache = SeccompCache(directory: directory, salt: "test 1")
        let compiled = try SeccompCompiler.compile(profile())
        XCTAssertEqual(try cache.program(for: profile()), compiled)
        let stored = try entries()
        XCTAssertEqual(stored.count, 1)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/" + stored[0])
        XCTAssertEqual((attributes[.posixPermissions] as? Int), 0o600)

        // Prove the second answer comes from the file: replace the entry's program bytes.
        let path = directory + "/" + stored[0]
        let key = try SeccompCache.key(for: profile(), salt: "test 1")
        let marker = SeccompProgram(bpf: [6, 0, 0, 0, 0, 0, 0xff, 0x7f], flags: 0, usesNotify: false)
        cache.store(marker, key: key, at: path)
        XCTAssertEqual(try cache.program(for: profile()), marker)

        // The listener path does not reach the BPF, so it shares the entry.
        var withListener = profile()
        withListener.listenerPath = "/run/agent.sock"
        XCTAssertEqual(try cache.program(for: withListener), marker)
    }

    func testDifferentInputsDoNotShareEntries() throws {
        let cache = SeccompCache(directory: directory, salt: "test 1")
        _ = try cache.program(for: profile(1))
        _ = try cache.program(for: profile(2))
        _ = try SeccompCache(directory: directory, salt: "test 2").program(for: profile(1))
        XCTAssertEqual(try entries().count, 3)
    }

    func testAnEntryWithAnotherKeyIsRecompiled() throws {
        let cache = SeccompCache(directory: directory, salt: "test 1")
        let key = try SeccompCache.key(for: profile(), salt: "test 1")
        let path = directory + "/" + SeccompCache.hexHash(key)
        // Same file name, another key (what a hash collision would look like).
        cache.store(.none, key: Array("something else".utf8), at: path)
        XCTAssertEqual(try cache.program(for: profile()), try SeccompCompiler.compile(profile()))
        XCTAssertNotNil(SeccompCache.load(path, key: key), "rewritten with the right key")
    }

    func testWritableByOthersIsIgnored() throws {
        let cache = SeccompCache(directory: directory, salt: "test 1")
        let key = try SeccompCache.key(for: profile(), salt: "test 1")
        let path = directory + "/" + SeccompCache.hexHash(key)
        let marker = SeccompProgram(bpf: [6, 0, 0, 0, 0, 0, 0xff, 0x7f], flags: 0, usesNotify: false)
        cache.store(marker, key: key, at: path)
        XCTAssertEqual(SeccompCache.load(path, key: key), marker)
        chmod(path, 0o666)
        XCTAssertNil(SeccompCache.load(path, key: key))
    }

    func testUnwritableDirectoryStillCompiles() throws {
        let cache = SeccompCache(directory: "/proc/swiftlet-no-such-dir", salt: "x")
        XCTAssertEqual(try cache.program(for: profile()), try SeccompCompiler.compile(profile()))
        XCTAssertEqual(try cache.program(for: LinuxSeccomp()), .none)
    }
}
