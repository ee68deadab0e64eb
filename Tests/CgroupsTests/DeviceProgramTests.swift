import Foundation
import XCTest
import OCISpec
@testable import Cgroups

/// The generated cgroup device BPF program, run in a small interpreter of the opcodes it
/// uses (no kernel), and for real on this machine's cgroup2 mount (root only).
final class DeviceProgramTests: XCTestCase {
    /// Runs `program` on a bpf_cgroup_dev_ctx; returns r0.
    func run(_ program: [BPFInstruction], type: Int32, access: Int32, major: UInt32, minor: UInt32) throws -> UInt64 {
        let context: [UInt32] = [UInt32(access) << 16 | UInt32(type), major, minor]
        var r = [UInt64](repeating: 0, count: 11)
        var pc = 0
        var steps = 0
        while pc < program.count {
            steps += 1
            guard steps < 10_000 else { throw CgroupError("program loops") }
            let i = program[pc]
            let dst = Int(i.dst), src = Int(i.src)
            let imm64 = UInt64(bitPattern: Int64(i.immediate))
            pc += 1
            switch i.opcode {
            case BPFInstruction.loadWord:
                XCTAssertEqual(src, 1, "only the context is read")
                r[dst] = UInt64(context[Int(i.offset) / 4])
            case BPFInstruction.and32Imm: r[dst] = UInt64(UInt32(truncatingIfNeeded: r[dst]) & UInt32(bitPattern: i.immediate))
            case BPFInstruction.rsh32Imm: r[dst] = UInt64(UInt32(truncatingIfNeeded: r[dst]) >> UInt32(i.immediate))
            case BPFInstruction.mov32Imm: r[dst] = UInt64(UInt32(bitPattern: i.immediate))
            case BPFInstruction.mov32Reg: r[dst] = UInt64(UInt32(truncatingIfNeeded: r[src]))
            case BPFInstruction.jumpNotEqualImm: if r[dst] != imm64 { pc += Int(i.offset) }
            case BPFInstruction.jumpNotEqualReg: if r[dst] != r[src] { pc += Int(i.offset) }
            case BPFInstruction.jumpEqualImm: if r[dst] == imm64 { pc += Int(i.offset) }
            case BPFInstruction.exit: return r[0]
            default: throw CgroupError("unknown opcode \(i.opcode)")
            }
        }
        throw CgroupError("fell off the end")
    }

    let char = DeviceProgram.typeChar, block = DeviceProgram.typeBlock
    let read = DeviceProgram.accessRead, write = DeviceProgram.accessWrite, mknod = DeviceProgram.accessMknod

    func program(_ rules: [LinuxDeviceCgroup]) throws -> [BPFInstruction] {
        try DeviceProgram.instructions(for: try DeviceEmulator(rules: try DeviceRule.parse(rules)))
    }

    func testDefaultRulesAllowTheStandardNodesAndDenyTheRest() throws {
        let p = try program(DefaultDeviceRules.containerRules(resources: nil, linuxDevices: nil))
        XCTAssertEqual(try run(p, type: char, access: read | write, major: 1, minor: 3), 1, "/dev/null rw")
        XCTAssertEqual(try run(p, type: char, access: read, major: 136, minor: 7), 1, "/dev/pts/7")
        XCTAssertEqual(try run(p, type: char, access: mknod, major: 4, minor: 1), 1, "mknod of any char device")
        XCTAssertEqual(try run(p, type: block, access: mknod, major: 8, minor: 0), 1, "mknod of any block device")
        XCTAssertEqual(try run(p, type: char, access: read, major: 1, minor: 1), 0, "/dev/mem")
        XCTAssertEqual(try run(p, type: block, access: read, major: 8, minor: 0), 0, "/dev/sda")
        XCTAssertEqual(try run(p, type: char, access: read | mknod, major: 4, minor: 1), 0, "r is not granted by m")
    }

    func testAccessMustBeCoveredByOneAllowRule() throws {
        let p = try program([LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 7, access: "r"),
                             LinuxDeviceCgroup(allow: true, type: "c", major: nil, minor: nil, access: "w")])
        XCTAssertEqual(try run(p, type: char, access: read, major: 1, minor: 7), 1)
        XCTAssertEqual(try run(p, type: char, access: write, major: 9, minor: 9), 1)
        XCTAssertEqual(try run(p, type: char, access: read | write, major: 1, minor: 7), 0, "as on v1: no single rule has rw")
    }

    func testBlackListDeniesAnyOverlap() throws {
        let p = try program([LinuxDeviceCgroup(allow: true, type: "a", access: "rwm"),
                             LinuxDeviceCgroup(allow: false, type: "c", major: 5, minor: 1, access: "w")])
        XCTAssertEqual(try run(p, type: char, access: read, major: 5, minor: 1), 1)
        XCTAssertEqual(try run(p, type: char, access: read | write, major: 5, minor: 1), 0)
        XCTAssertEqual(try run(p, type: block, access: write, major: 5, minor: 1), 1, "type matters")
    }

    func testDenyAllIsTwoInstructionsAfterTheLoads() throws {
        let p = try program([])
        XCTAssertEqual(p.count, 8)
        XCTAssertEqual(try run(p, type: char, access: read, major: 1, minor: 3), 0)
        XCTAssertEqual(p.last, BPFInstruction(opcode: BPFInstruction.exit))
    }

    func testInstructionEncoding() {
        let jump = BPFInstruction(opcode: BPFInstruction.jumpNotEqualImm, dst: 4, offset: 3, immediate: 136)
        XCTAssertEqual(jump.bytes, [0x55, 0x04, 3, 0, 136, 0, 0, 0])
        let load = BPFInstruction(opcode: BPFInstruction.loadWord, dst: 5, src: 1, offset: 8)
        XCTAssertEqual(load.bytes, [0x61, 0x15, 8, 0, 0, 0, 0, 0])
        XCTAssertEqual(BPFInstruction(opcode: BPFInstruction.mov32Imm, immediate: -1).bytes.suffix(4), [255, 255, 255, 255])
    }

    // MARK: real

    /// Runs a shell inside `manager`'s cgroup: it waits for a line on stdin (so it is moved
    /// in first), then runs `script` and prints its output.
    func runInCgroup(_ manager: V2CgroupManager, _ script: String) throws -> String {
        let process = Foundation.Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "read go; " + script]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try manager.addProcess(pid: process.processIdentifier)
        input.fileHandleForWriting.write("go\n".data(using: .utf8)!)
        process.waitUntilExit()
        return String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    func testRealV2DeviceProgramIsEnforcedAndReplacedOnUpdate() throws {
        try XCTSkipUnless(RealCgroups.isRoot, "needs root")
        let layout = try CgroupLayout.detect()
        let caller = try XCTUnwrap(layout.callerDirectory(for: ""), "no cgroup2 mount")
        let parent = CgroupPath.join(caller, RealCgroups.parentName)
        defer { RealCgroups.removeParent(layout) }
        try CgroupFiles.makeDirectories(parent)
        let manager = V2CgroupManager(directory: CgroupPath.join(parent, "devices"), delegationRoot: parent)
        try manager.create()

        // /dev/null readable only; /dev/zero fully.
        var resources = LinuxResources()
        resources.devices = [LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 3, access: "r"),
                             LinuxDeviceCgroup(allow: true, type: "c", major: 1, minor: 5, access: "rwm")]
        try manager.apply(resources)
        let check = "cat /dev/null && echo null-read-ok; (echo x > /dev/null) 2>/dev/zero && echo null-write-ok || echo null-write-denied"
        XCTAssertEqual(try runInCgroup(manager, check), "null-read-ok\nnull-write-denied\n")

        // An update swaps the program; exactly one stays attached.
        resources.devices = DefaultDeviceRules.containerRules(resources: nil, linuxDevices: nil)
        try manager.apply(resources)
        XCTAssertEqual(try runInCgroup(manager, check), "null-read-ok\nnull-write-ok\n")
        let fd = open(manager.directory, O_DIRECTORY | O_RDONLY)
        defer { close(fd) }
        XCTAssertEqual(try BPFDeviceFilter.attachedPrograms(fd, cgroup: manager.directory).count, 1)

        try manager.destroy()
    }
}
