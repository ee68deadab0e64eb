import XCTest
@testable import Linux

final class BitMaskTests: XCTestCase {
    func testIdsLandInKernelWordOrder() {
        let mask = BitMask(ids: [0, 1, 2, 3, 7])
        XCTAssertEqual(mask.words, [0x8f])
        XCTAssertEqual(mask.description, "0-3,7")
        XCTAssertEqual(mask.members, [0, 1, 2, 3, 7])
        XCTAssertEqual(BitMask(ids: [64]).words, [0, 1])
        XCTAssertEqual(BitMask(ids: [130, 1]).words, [2, 0, 4])
        XCTAssertEqual(BitMask(ids: [130]).bitCount, 192)
        XCTAssertEqual(BitMask(ids: [130]).byteCount, 24)
    }

    func testRangesAndDescriptionRoundTrip() {
        let mask = BitMask(ranges: [0...2, 5...5, 63...65])
        XCTAssertEqual(mask.words, [0x8000_0000_0000_0027, 0x3])
        XCTAssertEqual(mask.description, "0-2,5,63-65")
        XCTAssertTrue(mask.contains(64))
        XCTAssertFalse(mask.contains(3))
        XCTAssertFalse(mask.contains(1000))
    }

    func testEmptyMaskStillHasOneWord() {
        let empty = BitMask(ids: [])
        XCTAssertEqual(empty.words, [0])
        XCTAssertTrue(empty.isEmpty)
        XCTAssertEqual(empty.description, "")
        XCTAssertEqual(BitMask(words: []).words, [0])
    }

    func testAllSetsExactlyCountBits() {
        XCTAssertEqual(BitMask.all(count: 2).words, [3])
        XCTAssertEqual(BitMask.all(count: 64).words, [UInt64.max])
        XCTAssertEqual(BitMask.all(count: 65).words, [UInt64.max, 1])
        XCTAssertEqual(BitMask.all(count: 130).members.count, 130)
        XCTAssertEqual(Scheduling.everyCPU.members.count, 8192)
        // setAffinityToEveryCPU writes the same mask from a stack buffer.
        XCTAssertEqual(Scheduling.everyCPU.words, Array(repeating: UInt64.max, count: Scheduling.everyCPUWords))
    }
}

/// Read-only checks against the kernel: the calls and struct layouts are right.
final class SchedulingKernelTests: XCTestCase {
    func testOwnAffinityIncludesACPUAndCanBeSetToItself() throws {
        let mask = try Scheduling.affinity()
        XCTAssertFalse(mask.isEmpty)
        let configured = Int(sysconf(Int32(_SC_NPROCESSORS_CONF)))
        XCTAssertTrue(mask.members.allSatisfy { $0 < configured }, "\(mask) names CPUs beyond the \(configured) configured")
        // Setting what is already set is allowed for anyone and changes nothing.
        try Scheduling.setAffinity(mask)
        XCTAssertEqual(try Scheduling.affinity(), mask)
    }

    func testOwnSchedulingAttributesAreReadBack() throws {
        let attributes = try Scheduling.attributes()
        XCTAssertEqual(attributes.policy, SchedulingPolicy.other)
        XCTAssertEqual(attributes.nice, Int32(getpriority(__priority_which_t(0), 0)))
    }

    func testIOPriorityOfUnsetProcessIsNoneClass() throws {
        let value = try Scheduling.ioPriority()
        // Class 0 ("none") means "derived from nice"; the CFQ/BFQ default. A test runner
        // started under ionice would have another class.
        XCTAssertTrue([0, 2, 3].contains(value >> 13), "ioprio \(value)")
        XCTAssertEqual(IOPriorityClass.value(class: IOPriorityClass.bestEffort, level: 6), 2 << 13 | 6)
    }

    func testPersonalityQueryAndMemoryPolicyRead() throws {
        XCTAssertEqual(Personality.current() & 0xff, Personality.linux)
        let policy = try MemoryPolicy.current()
        XCTAssertEqual(policy.mode, MemoryPolicyMode.default)
    }

    func testBadMemoryPolicyIsASyscallError() {
        // Node 5000 cannot be online; the kernel answers EINVAL.
        XCTAssertThrowsError(try MemoryPolicy.set(mode: MemoryPolicyMode.bind, nodes: BitMask(ids: [5000]))) { error in
            XCTAssertEqual((error as? SyscallError)?.operation, "set_mempolicy")
            XCTAssertEqual((error as? SyscallError)?.errno, EINVAL)
        }
        XCTAssertEqual(try MemoryPolicy.current().mode, MemoryPolicyMode.default)
    }
}
