import Foundation
import OCISpec
import XCTest
@testable import Security

#if arch(x86_64)
/// The seccomp profiles and capability sets docker and podman really send (the OCISpec fixtures).
final class EngineProfileTests: XCTestCase {
    private func spec(_ name: String) throws -> Spec {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../OCISpecTests/Fixtures/engine-configs/\(name).json").standardized.path
        return try decodeJSON(Spec.self, fromFile: path)
    }

    private func evaluate(_ program: SeccompProgram, _ nr: Int32, arch: UInt32 = 0xc000_003e, args: [UInt64] = []) throws -> UInt32 {
        var data = SeccompData(nr: nr, arch: arch)
        for (index, value) in args.enumerated() { data.args[index] = value }
        return try runBPF(program.bpf, on: data)
    }

    private let allow: UInt32 = 0x7fff_0000
    private func errno(_ code: Int32) -> UInt32 { 0x0005_0000 | UInt32(code) }

    func testDockerProfile() throws {
        let seccomp = try XCTUnwrap(try spec("docker").linux?.seccomp)
        let program = try SeccompCompiler.compile(seccomp)
        XCTAssertLessThan(program.instructionCount, 4096)
        XCTAssertEqual(program.flags, SeccompFlag.kernelSupports(SeccompFlag.specAllow) ? SeccompFlag.specAllow : 0, "runc's implied SPEC_ALLOW")
        XCTAssertFalse(program.usesNotify)
        XCTAssertEqual(try evaluate(program, 0), allow, "read")
        XCTAssertEqual(try evaluate(program, 169), errno(EPERM), "reboot needs CAP_SYS_BOOT, not in the profile")
        XCTAssertEqual(try evaluate(program, 435), errno(ENOSYS), "docker answers clone3 with ENOSYS itself")
        XCTAssertEqual(try evaluate(program, 1000), errno(ENOSYS), "beyond every known syscall")
        // personality: only a few personas are allowed.
        XCTAssertEqual(try evaluate(program, 135, args: [0]), allow)
        XCTAssertEqual(try evaluate(program, 135, args: [0x0040_0000]), errno(EPERM))
        // i386 calls go through the same profile: getpid is 20 there.
        XCTAssertEqual(try evaluate(program, 20, arch: 0x4000_0003), allow)
        XCTAssertEqual(try evaluate(program, 5000, arch: 0x4000_0003), errno(ENOSYS))
    }

    func testPodmanProfileDefaultsToENOSYS() throws {
        let seccomp = try XCTUnwrap(try spec("podman").linux?.seccomp)
        XCTAssertEqual(seccomp.defaultErrnoRet, UInt(ENOSYS))
        let program = try SeccompCompiler.compile(seccomp)
        XCTAssertEqual(try evaluate(program, 0), allow)
        XCTAssertEqual(try evaluate(program, 1000), errno(ENOSYS))
        XCTAssertEqual(try evaluate(program, 246), errno(EPERM), "podman lists kexec_load with errnoRet 1")
        XCTAssertEqual(try evaluate(program, 169), allow, "podman allows reboot (the kernel checks CAP_SYS_BOOT)")
    }

    func testCompileTime() throws {
        let seccomp = try XCTUnwrap(try spec("docker").linux?.seccomp)
        let start = DispatchTime.now().uptimeNanoseconds
        let rounds = 20
        for _ in 0..<rounds { _ = try SeccompCompiler.compile(seccomp) }
        let perCompile = Double(DispatchTime.now().uptimeNanoseconds - start) / Double(rounds) / 1e6
        print("docker profile: \(try SeccompCompiler.compile(seccomp).instructionCount) instructions, \(perCompile) ms per compile")
    }

    func testEngineCapabilities() throws {
        for name in ["docker", "podman", "containerd"] {
            let spec = try spec(name)
            let caps = try Capabilities(try XCTUnwrap(spec.process?.capabilities), lastCapability: 40)
            XCTAssertEqual(caps.bounding.numbers.count, 14, name)
            XCTAssertTrue(caps.bounding.contains(21) == false, name)
            XCTAssertNil(caps.warning, name)
        }
    }
}
#endif
