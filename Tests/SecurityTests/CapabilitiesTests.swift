import OCISpec
import XCTest
@testable import Security

final class CapabilitiesTests: XCTestCase {
    func testNamesAnyCase() {
        XCTAssertEqual(CapabilityName.number(of: "CAP_CHOWN"), 0)
        XCTAssertEqual(CapabilityName.number(of: "cap_net_admin"), 12)
        XCTAssertEqual(CapabilityName.number(of: "Cap_Sys_Admin"), 21)
        XCTAssertEqual(CapabilityName.number(of: "CAP_CHECKPOINT_RESTORE"), 40)
        XCTAssertNil(CapabilityName.number(of: "CAP_FOO"))
        XCTAssertNil(CapabilityName.number(of: "NET_ADMIN"), "config.json names need the CAP_ prefix")
        XCTAssertNil(CapabilityName.number(of: "12"))
        XCTAssertNil(CapabilityName.number(of: "CAP_12"))
        XCTAssertNil(CapabilityName.number(of: "all"))
        XCTAssertEqual(CapabilityName.name(of: 21), "CAP_SYS_ADMIN")
    }

    func testKnownNamesRoundTrip() {
        let known = CapabilityName.known
        XCTAssertGreaterThanOrEqual(known.count, 41)
        for (number, name) in known.enumerated() {
            XCTAssertEqual(CapabilityName.number(of: name), Int32(number), name)
        }
    }

    func testKernelLastCapabilityMatchesProc() throws {
        let text = try String(contentsOfFile: "/proc/sys/kernel/cap_last_cap", encoding: .utf8)
        XCTAssertEqual(try CapabilityName.kernelLastCapability(), Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    func testParsingSets() throws {
        var spec = LinuxCapabilities()
        spec.bounding = ["CAP_CHOWN", "cap_kill", "CAP_NET_BIND_SERVICE", "CAP_CHOWN"]
        spec.effective = ["CAP_KILL"]
        spec.permitted = ["CAP_KILL", "CAP_CHOWN"]
        spec.ambient = []
        let caps = try Capabilities(spec, lastCapability: 40)
        XCTAssertEqual(caps.bounding.numbers, [0, 5, 10])
        XCTAssertEqual(caps.effective.numbers, [5])
        XCTAssertEqual(caps.permitted.numbers, [0, 5])
        XCTAssertEqual(caps.inheritable, .empty)
        XCTAssertEqual(caps.ambient, .empty)
        XCTAssertNil(caps.warning)
        XCTAssertEqual(caps.boundingDrops.count, 41 - 3)
        XCTAssertFalse(caps.boundingDrops.contains(5))
        XCTAssertTrue(caps.boundingDrops.contains(21))
        XCTAssertEqual(caps.bounding.description, "[CAP_CHOWN CAP_KILL CAP_NET_BIND_SERVICE]")
    }

    func testUnknownNameIsSkippedWithAWarningNamingItsPath() throws {
        var spec = LinuxCapabilities()
        spec.bounding = ["CAP_CHOWN", "CAP_KILL", "CAP_SETUID", "CAP_FOO"]
        spec.ambient = ["NET_RAW"]
        let caps = try Capabilities(spec, lastCapability: 40)
        XCTAssertEqual(caps.bounding.numbers, [0, 5, 7])
        XCTAssertEqual(caps.ambient.numbers, [])
        XCTAssertEqual(caps.unavailable, ["CAP_FOO (process.capabilities.bounding[3])", "NET_RAW (process.capabilities.ambient[0])"])
        XCTAssertNotNil(caps.warning)
    }

    func testCapabilitiesTheKernelLacksAreSkippedWithAWarning() throws {
        var spec = LinuxCapabilities()
        spec.bounding = ["CAP_CHOWN", "CAP_CHECKPOINT_RESTORE", "CAP_BPF", "cap_perfmon"]
        spec.effective = ["CAP_BPF"]
        // A 5.7 kernel: CAP_BPF (39) and CAP_CHECKPOINT_RESTORE (40) do not exist yet.
        let caps = try Capabilities(spec, lastCapability: 38)
        XCTAssertEqual(caps.bounding.numbers, [0, 38])
        XCTAssertEqual(caps.effective, .empty)
        XCTAssertEqual(caps.unavailable.sorted(), ["CAP_BPF", "CAP_CHECKPOINT_RESTORE"])
        XCTAssertEqual(caps.warning, "ignoring unknown or unavailable capabilities: [CAP_BPF CAP_CHECKPOINT_RESTORE]")
        XCTAssertEqual(caps.boundingDrops.count, 39 - 2)
    }

    func testSetBits() {
        XCTAssertEqual(CapabilitySet.all(upTo: 40).bits, (1 << 41) - 1)
        XCTAssertEqual(CapabilitySet.all(upTo: 63).bits, .max)
        var set = CapabilitySet([3, 1])
        set.insert(64)
        XCTAssertEqual(set.numbers, [1, 3])
        XCTAssertFalse(set.contains(-1))
    }

    func testNoNewPrivilegesIsReadable() throws {
        // Reading only: setting it would change the test process for every later test.
        XCTAssertEqual(try hasNoNewPrivileges(), try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
            .split(separator: "\n").first { $0.hasPrefix("NoNewPrivs:") }?.hasSuffix("1"))
    }
}
