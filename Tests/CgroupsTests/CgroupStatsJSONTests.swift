import Foundation
import XCTest
@testable import Cgroups

/// CgroupStats as runc's `events --stats` JSON (encoded here with Foundation's encoder).
final class CgroupStatsJSONTests: XCTestCase {
    func json(_ stats: CgroupStats) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(stats), as: UTF8.self)
    }

    func testEmptyStatsOmitWhatRuncOmits() throws {
        XCTAssertEqual(try json(CgroupStats()), """
        {"blkio":{},"cpu":{},"cpuset":{"cpu_exclusive":0,"mem_exclusive":0,"mem_hardwall":0,"memory_migrate":0,\
        "memory_pressure":0,"memory_spread_page":0,"memory_spread_slab":0,"sched_load_balance":0,\
        "sched_relax_domain_level":0},"hugetlb":{},"memory":{},"pids":{}}
        """)
    }

    func testFilledStatsUseRuncsMemberNames() throws {
        var stats = CgroupStats()
        stats.cpu.usage.total = 10
        stats.cpu.usage.percpu = [4, 6]
        stats.cpu.throttling.throttledPeriods = 2
        stats.memory.usage = .init(limit: 100, usage: 50, max: 0, failcnt: 0)
        stats.memory.raw = ["rss": 1]
        stats.pids = .init()
        stats.pids.current = 3
        stats.blkio.ioQueuedRecursive = [.init(major: 8, minor: 0, op: "Read", value: 1)]
        stats.hugetlb["2MB"] = .init(usage: 0, max: 0, failcnt: 1)
        let text = try json(stats)
        XCTAssertTrue(text.contains(#""cpu":{"throttling":{"throttledPeriods":2},"usage":{"kernel":0,"percpu":[4,6],"total":10,"user":0}}"#), text)
        XCTAssertTrue(text.contains(#""memory":{"raw":{"rss":1},"usage":{"failcnt":0,"limit":100,"usage":50}}"#), text)
        XCTAssertTrue(text.contains(#""pids":{"current":3}"#), text)
        XCTAssertTrue(text.contains(#""blkio":{"ioQueueRecursive":[{"major":8,"op":"Read","value":1}]}"#), text)
        XCTAssertTrue(text.contains(#""hugetlb":{"2MB":{"failcnt":1}}"#), text)
    }
}
