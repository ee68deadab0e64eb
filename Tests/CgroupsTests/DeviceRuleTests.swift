import XCTest
import OCISpec
@testable import Cgroups

/// Device rule parsing and the v1 device cgroup emulator (no files).
final class DeviceRuleTests: XCTestCase {
    func rule(_ allow: Bool, _ type: String?, _ major: Int64?, _ minor: Int64?, _ access: String?) -> LinuxDeviceCgroup {
        LinuxDeviceCgroup(allow: allow, type: type, major: major, minor: minor, access: access)
    }

    func testParsesSpecRulesWithWildcards() throws {
        let parsed = try DeviceRule.parse([rule(false, nil, nil, nil, "rwm"), rule(true, "c", 1, -1, "rw")])
        XCTAssertEqual(parsed[0].v1Text, "a *:* rwm")
        XCTAssertFalse(parsed[0].allow)
        XCTAssertEqual(parsed[1].v1Text, "c 1:* rw")
    }

    func testRejectsBadRulesNamingTheField() {
        XCTAssertThrowsError(try DeviceRule.parse([rule(true, "c", 1, 3, "rwm"), rule(true, "x", 1, 3, "r")])) { error in
            XCTAssertEqual((error as? CgroupError)?.field, "linux.resources.devices[1].type")
        }
        XCTAssertThrowsError(try DeviceRule.parse([rule(true, "c", 1, 3, "")])) { error in
            XCTAssertEqual((error as? CgroupError)?.field, "linux.resources.devices[0].access")
        }
        XCTAssertThrowsError(try DeviceRule.parse([rule(true, "c", 1, 3, "rwx")]))
    }

    func testDefaultRulesMatchRuncAndDropRedefinedNodes() {
        let all = DefaultDeviceRules.rules(excluding: nil)
        XCTAssertEqual(all.count, 11)
        XCTAssertTrue(all.contains(rule(true, "c", 10, 200, "rwm")))
        var null = LinuxDevice()
        null.path = "/dev/null"
        let without = DefaultDeviceRules.rules(excluding: [null])
        XCTAssertEqual(without.count, 10)
        XCTAssertFalse(without.contains(rule(true, "c", 1, 3, "rwm")))
        var resources = LinuxResources()
        resources.devices = [rule(false, nil, nil, nil, "rwm")]
        XCTAssertEqual(DefaultDeviceRules.containerRules(resources: resources, linuxDevices: nil).first, resources.devices?.first)
    }

    func testFreshCgroupGetsDenyAllThenAllowRules() throws {
        // A new v1 cgroup inherits "a *:* rwm" (allow all) from the root.
        let current = try DeviceEmulator(devicesList: "a *:* rwm\n")
        let rules = try DeviceRule.parse([rule(false, nil, nil, nil, "rwm"), rule(true, "c", 1, 3, "rwm"),
                                          rule(true, "c", 136, nil, "rwm"), rule(true, "b", nil, nil, "m")])
        let target = try DeviceEmulator(rules: rules)
        XCTAssertEqual(current.transition(to: target).map(\.description),
                       ["deny a *:* rwm", "allow b *:* m", "allow c 1:3 rwm", "allow c 136:* rwm"])
    }

    func testUpdateWritesOnlyTheDifference() throws {
        let current = try DeviceEmulator(devicesList: "c 1:3 rwm\nc 1:5 rwm\n")
        let target = try DeviceEmulator(rules: try DeviceRule.parse([rule(true, "c", 1, 3, "rwm"), rule(true, "c", 1, 5, "r"),
                                                                     rule(true, "c", 1, 9, "rw")]))
        XCTAssertEqual(current.transition(to: target).map(\.description),
                       ["deny c 1:5 wm", "allow c 1:9 rw"])
        XCTAssertEqual(target.transition(to: target), [])
    }

    func testDenyAfterAllowRemovesTheException() throws {
        let target = try DeviceEmulator(rules: try DeviceRule.parse([rule(true, "c", 1, 3, "rwm"), rule(false, "c", 1, 3, "w")]))
        XCTAssertEqual(target.exceptions[.init(kind: .char, major: 1, minor: 3)], [.read, .mknod])
        XCTAssertFalse(target.defaultAllow)
    }

    func testBlackListIsResetBecauseItsDenyExceptionsAreInvisible() throws {
        let rules = try DeviceRule.parse([rule(true, nil, nil, nil, "rwm"), rule(false, "c", 5, 1, "rwm")])
        let target = try DeviceEmulator(rules: rules)
        XCTAssertTrue(target.defaultAllow)
        let current = try DeviceEmulator(devicesList: "a *:* rwm\n")
        XCTAssertEqual(current.transition(to: target).map(\.description), ["allow a *:* rwm", "deny c 5:1 rwm"])
    }

    func testPunchingAHoleInAWildcardIsRefused() throws {
        let rules = try DeviceRule.parse([rule(true, "c", nil, nil, "rwm"), rule(false, "c", 1, 3, "w")])
        XCTAssertThrowsError(try DeviceEmulator(rules: rules)) { error in
            XCTAssertEqual((error as? CgroupError)?.field, "linux.resources.devices")
        }
    }

    func testAllowAllNeedsNoDeviceProgram() throws {
        XCTAssertTrue(try DeviceEmulator(rules: try DeviceRule.parse([rule(true, "a", nil, nil, "rwm")])).isAllowAll)
        XCTAssertFalse(try DeviceEmulator(rules: []).isAllowAll)
    }
}
