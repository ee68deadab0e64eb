import XCTest
import OCISpec
@testable import Cgroups

/// Pure v1 → v2 value conversions (no files).
final class ResourceConversionTests: XCTestCase {
    func testCPUSharesToWeightFollowsRunc15QuadraticFit() {
        // Expected values computed independently from runc 1.5's formula.
        let expected: [UInt64: UInt64] = [0: 0, 1: 1, 2: 1, 3: 2, 10: 4, 100: 17, 512: 59, 1024: 100,
                                          2048: 174, 4096: 303, 65536: 3023, 262_143: 10_000, 262_144: 10_000,
                                          1_000_000: 10_000]
        for (shares, weight) in expected {
            XCTAssertEqual(ResourceConversions.cpuWeight(fromShares: shares), weight, "shares \(shares)")
        }
    }

    func testCPUWeightIsMonotonic() {
        var previous: UInt64 = 0
        for shares in stride(from: UInt64(2), through: 262_144, by: 97) {
            let weight = ResourceConversions.cpuWeight(fromShares: shares)
            XCTAssertGreaterThanOrEqual(weight, previous, "shares \(shares)")
            XCTAssertTrue((1...10_000).contains(weight))
            previous = weight
        }
    }

    func testBlkioWeightToIOWeightIsLinear() {
        XCTAssertEqual(ResourceConversions.ioWeight(fromBlkioWeight: 0), 0)
        XCTAssertEqual(ResourceConversions.ioWeight(fromBlkioWeight: 10), 1)
        XCTAssertEqual(ResourceConversions.ioWeight(fromBlkioWeight: 500), 1 + 490 * 9999 / 990)
        XCTAssertEqual(ResourceConversions.ioWeight(fromBlkioWeight: 1000), 10_000)
        XCTAssertEqual(ResourceConversions.ioWeight(fromBlkioWeight: 5), 1)  // invalid, clamped
    }

    func testSwapIsMemoryPlusSwapMinusMemory() throws {
        XCTAssertEqual(try ResourceConversions.swapOnly(memorySwap: 300, memory: 100), 200)
        XCTAssertEqual(try ResourceConversions.swapOnly(memorySwap: 100, memory: 100), 0)
        XCTAssertEqual(try ResourceConversions.swapOnly(memorySwap: 0, memory: -1), -1)
        XCTAssertEqual(try ResourceConversions.swapOnly(memorySwap: -1, memory: 100), -1)
        XCTAssertEqual(try ResourceConversions.swapOnly(memorySwap: 0, memory: 100), 0)
        XCTAssertEqual(try ResourceConversions.swapOnly(memorySwap: 500, memory: -1), 500)
    }

    func testImpossibleSwapValuesNameTheField() {
        XCTAssertThrowsError(try ResourceConversions.swapOnly(memorySwap: 100, memory: 0)) { error in
            XCTAssertEqual((error as? CgroupError)?.field, "linux.resources.memory.swap")
        }
        XCTAssertThrowsError(try ResourceConversions.swapOnly(memorySwap: 100, memory: 200)) { error in
            XCTAssertEqual((error as? CgroupError)?.field, "linux.resources.memory.swap")
        }
        XCTAssertThrowsError(try ResourceConversions.swapOnly(memorySwap: 100, memory: -5)) { error in
            XCTAssertEqual((error as? CgroupError)?.field, "linux.resources.memory.limit")
        }
    }

    func testV2SwapLimitReportsBackAsMemoryPlusSwap() {
        XCTAssertEqual(ResourceConversions.memorySwap(fromSwapOnly: 200, memory: 100), 300)
        XCTAssertEqual(ResourceConversions.memorySwap(fromSwapOnly: UInt64.max, memory: 100), UInt64.max)
        XCTAssertEqual(ResourceConversions.memorySwap(fromSwapOnly: UInt64.max - 1, memory: 100), UInt64.max)
    }

    func testCPUMaxRendering() {
        XCTAssertNil(ResourceConversions.cpuMax(quota: nil, period: nil))
        XCTAssertNil(ResourceConversions.cpuMax(quota: 0, period: 0))
        XCTAssertEqual(ResourceConversions.cpuMax(quota: 50_000, period: nil), "50000 100000")
        XCTAssertEqual(ResourceConversions.cpuMax(quota: 20_000, period: 50_000), "20000 50000")
        XCTAssertEqual(ResourceConversions.cpuMax(quota: -1, period: 250_000), "max 250000")
        XCTAssertEqual(ResourceConversions.cpuMax(quota: nil, period: 10_000), "max 10000")
    }

    func testPidsMaxRendering() {
        XCTAssertEqual(ResourceConversions.pidsMax(limit: 42), "42")
        XCTAssertEqual(ResourceConversions.pidsMax(limit: 0), "1")
        XCTAssertEqual(ResourceConversions.pidsMax(limit: -1), "max")
        XCTAssertEqual(ResourceConversions.pidsMax(limit: -7), "max")
    }

    func testV2MemoryKnobRendering() {
        XCTAssertNil(ResourceConversions.memoryLimitText(0))
        XCTAssertEqual(ResourceConversions.memoryLimitText(-1), "max")
        XCTAssertEqual(ResourceConversions.memoryLimitText(1 << 20), "1048576")
    }

    func testV1MemoryWriteOrderKeepsMemswAboveMemory() {
        typealias W = V1ResourceWriter
        // Raising both past the current limit: memsw first.
        XCTAssertEqual(W.memoryLimitOrder(limit: 200, swap: 400, currentLimit: 100), [.swap, .limit])
        // Lowering both below the current limit: memory first.
        XCTAssertEqual(W.memoryLimitOrder(limit: 100, swap: 150, currentLimit: 300), [.limit, .swap])
        // Unlimited memsw always goes first.
        XCTAssertEqual(W.memoryLimitOrder(limit: -1, swap: -1, currentLimit: 100), [.swap, .limit])
        XCTAssertEqual(W.memoryLimitOrder(limit: 100, swap: 0, currentLimit: nil), [.limit])
        XCTAssertEqual(W.memoryLimitOrder(limit: 0, swap: 100, currentLimit: nil), [.swap])
        XCTAssertEqual(W.memoryLimitOrder(limit: 0, swap: 0, currentLimit: nil), [])
    }

    func testHugePageSizeNames() {
        XCTAssertEqual(StatsParsing.hugePageSizeName(kilobytes: 2048), "2MB")
        XCTAssertEqual(StatsParsing.hugePageSizeName(kilobytes: 1_048_576), "1GB")
        XCTAssertEqual(StatsParsing.hugePageSizeName(kilobytes: 64), "64KB")
    }

    func testStatParsers() {
        XCTAssertEqual(StatsParsing.cpuList("0-3,8,10-11\n"), [0, 1, 2, 3, 8, 10, 11])
        XCTAssertEqual(StatsParsing.blkioEntries("8:0 Read 12\n8:0 Write 3\nTotal 15\n8:16 7\n"), [
            .init(major: 8, minor: 0, op: "Read", value: 12),
            .init(major: 8, minor: 0, op: "Write", value: 3),
            .init(major: 8, minor: 16, op: "", value: 7),
        ])
        XCTAssertEqual(CgroupTree.keyValues("usage_usec 10\nnr_periods 2\nbad\n")["usage_usec"], 10)
        XCTAssertEqual(CgroupTree.parseUInt("max\n"), UInt64.max)
    }
}

final class IgnoredResourcesTests: XCTestCase {
    func testKernelMemoryIsIgnoredEverywhereAndV1OnlyKnobsOnV2() {
        var resources = LinuxResources()
        resources.memory = LinuxMemory()
        resources.memory?.kernel = 1
        resources.memory?.swappiness = 10
        resources.cpu = LinuxCPU()
        resources.cpu?.realtimeRuntime = 5
        resources.network = LinuxNetwork()
        resources.network?.classID = 7
        XCTAssertEqual(IgnoredResources.fields(resources, unified: false), ["linux.resources.memory.kernel"])
        XCTAssertEqual(IgnoredResources.fields(resources, unified: true),
                       ["linux.resources.memory.kernel", "linux.resources.memory.swappiness",
                        "linux.resources.cpu.realtimeRuntime", "linux.resources.network.classID"])
        resources.memory?.swappiness = UInt64.max
        XCTAssertFalse(IgnoredResources.fields(resources, unified: true).contains("linux.resources.memory.swappiness"))
    }
}
