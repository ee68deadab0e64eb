import XCTest
@testable import OCISpec

final class ValidationNamespacesTests: XCTestCase {
    private func spec(namespaces: [LinuxNamespace], _ change: (inout Linux) -> Void = { _ in }) -> Spec {
        var s = validBaseSpec()
        s.hostname = nil
        s.linux?.namespaces = namespaces
        change(&s.linux!)
        return s
    }

    private func ns(_ types: String...) -> [LinuxNamespace] { types.map { LinuxNamespace(type: $0) } }

    func testTypesKnownUniqueAndPathsAbsolute() {
        let s = spec(namespaces: [
            LinuxNamespace(type: "pid"), LinuxNamespace(type: "network", path: "/var/run/netns/x"),
            LinuxNamespace(type: "foo"), LinuxNamespace(type: "pid"), LinuxNamespace(type: "ipc", path: "proc/1/ns/ipc"),
        ])
        XCTAssertEqual(errorLines(s), [
            "linux.namespaces[2].type: unknown namespace type \"foo\"",
            "linux.namespaces[3].type: duplicate namespace type \"pid\" (first at linux.namespaces[0])",
            "linux.namespaces[4].path: must be an absolute path, got \"proc/1/ns/ipc\"",
        ])
        assertAccepts(spec(namespaces: ns("pid", "network", "mount", "ipc", "uts", "cgroup", "time")))
    }

    func testMappingsNeedUserNamespace() {
        let map = [LinuxIDMapping(containerID: 0, hostID: 100000, size: 65536)]
        let s = spec(namespaces: ns("mount")) { $0.uidMappings = map; $0.gidMappings = map }
        XCTAssertEqual(errorLines(s), [
            "linux.uidMappings: user namespace mappings specified, but linux.namespaces has no user namespace",
            "linux.gidMappings: user namespace mappings specified, but linux.namespaces has no user namespace",
        ])
        assertAccepts(spec(namespaces: ns("mount", "user")) { $0.uidMappings = map; $0.gidMappings = map })
    }

    func testNewUserNamespaceNeedsMappingsUnlessJoined() {
        let s = spec(namespaces: ns("user"))
        XCTAssertEqual(errorLines(s), [
            "linux.uidMappings: a new user namespace needs uid mappings (or a namespace path to join)",
            "linux.gidMappings: a new user namespace needs gid mappings (or a namespace path to join)",
        ])
        let joined = spec(namespaces: [LinuxNamespace(type: "user", path: "/proc/42/ns/user")])
        assertAccepts(joined)
        let map = [LinuxIDMapping(containerID: 0, hostID: 0, size: 1)]
        let both = spec(namespaces: [LinuxNamespace(type: "user", path: "/proc/42/ns/user")]) { $0.uidMappings = map }
        assertAccepts(both)
        XCTAssertEqual(warningLines(both), ["linux.uidMappings: ignored: the joined user namespace has its own mappings"])
    }

    func testMappingRanges() {
        let s = spec(namespaces: ns("user")) {
            $0.uidMappings = [
                LinuxIDMapping(containerID: 0, hostID: 1000, size: 10),
                LinuxIDMapping(containerID: 5, hostID: 5000, size: 10),
                LinuxIDMapping(containerID: 100, hostID: 1005, size: 1),
                LinuxIDMapping(containerID: 200, hostID: 0, size: 0),
                LinuxIDMapping(containerID: UInt32.max, hostID: 9000, size: 2),
            ]
            $0.gidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)]
        }
        XCTAssertEqual(errorLines(s), [
            "linux.uidMappings[1]: container range overlaps linux.uidMappings[0]",
            "linux.uidMappings[2]: host range overlaps linux.uidMappings[0]",
            "linux.uidMappings[3].size: must be greater than 0",
            "linux.uidMappings[4]: containerID + size overflows 32 bits",
        ])
        let many = spec(namespaces: ns("user")) {
            $0.uidMappings = (0..<341).map { LinuxIDMapping(containerID: UInt32($0), hostID: UInt32($0), size: 1) }
            $0.gidMappings = [LinuxIDMapping(containerID: 0, hostID: 0, size: 1)]
        }
        assertRejects(many, "linux.uidMappings: at most 340 mappings are allowed, got 341")
    }

    func testSysctlNeedsTheMatchingNamespace() {
        let sysctl = [
            "kernel.shmmax": "1", "fs.mqueue.msg_max": "10", "net.ipv4.ip_forward": "1",
            "kernel.domainname": "x", "kernel.hostname": "h", "vm.swappiness": "1", "user.max_user_namespaces": "0",
            "net/ipv4/conf/eth0.100/rp_filter": "1",
        ]
        let none = spec(namespaces: ns("mount")) { $0.sysctl = sysctl }
        XCTAssertEqual(errorLines(none), [
            "linux.sysctl[\"fs.mqueue.msg_max\"]: sysctl \"fs.mqueue.msg_max\" is not allowed in the host's IPC namespace",
            "linux.sysctl[\"kernel.domainname\"]: sysctl \"kernel.domainname\" is not in a separate kernel namespace",
            "linux.sysctl[\"kernel.hostname\"]: sysctl \"kernel.hostname\" is not in a separate kernel namespace",
            "linux.sysctl[\"kernel.shmmax\"]: sysctl \"kernel.shmmax\" is not allowed in the host's IPC namespace",
            "linux.sysctl[\"net.ipv4.ip_forward\"]: sysctl \"net.ipv4.ip_forward\" is not allowed in the host's network namespace",
            "linux.sysctl[\"net/ipv4/conf/eth0.100/rp_filter\"]: sysctl \"net.ipv4.conf.eth0/100.rp_filter\" is not allowed in the host's network namespace",
            "linux.sysctl[\"user.max_user_namespaces\"]: sysctl \"user.max_user_namespaces\" is not allowed without a user namespace",
            "linux.sysctl[\"vm.swappiness\"]: sysctl \"vm.swappiness\" is not in a separate kernel namespace",
        ])
        var allowed = sysctl
        allowed["vm.swappiness"] = nil
        allowed["kernel.hostname"] = nil
        let all = spec(namespaces: [LinuxNamespace(type: "user", path: "/proc/1/ns/user")] + ns("ipc", "network", "uts")) { $0.sysctl = allowed }
        assertAccepts(all)
        let hostnameSysctl = spec(namespaces: ns("uts")) { $0.sysctl = ["kernel.hostname": "h"] }
        assertRejects(hostnameSysctl, "linux.sysctl[\"kernel.hostname\"]: sysctl \"kernel.hostname\" is not allowed as it conflicts with the OCI \"hostname\" field")
    }

    func testNetSysctlInAJoinedHostNetworkNamespaceIsRejected() {
        let host = spec(namespaces: [LinuxNamespace(type: "network", path: "/proc/self/ns/net")]) { $0.sysctl = ["net.core.somaxconn": "1"] }
        assertRejects(host, "linux.sysctl[\"net.core.somaxconn\"]: sysctl \"net.core.somaxconn\" is not allowed: /proc/self/ns/net is the host's network namespace")
    }

    func testTimeOffsets() {
        var offset = LinuxTimeOffset()
        offset.secs = 10
        offset.nanosecs = 1_000_000_000
        let s = spec(namespaces: ns("mount")) { $0.timeOffsets = ["monotonic": offset, "realtime": LinuxTimeOffset()] }
        XCTAssertEqual(errorLines(s), [
            "linux.timeOffsets: time namespace offsets specified, but linux.namespaces has no time namespace",
            "linux.timeOffsets.monotonic.nanosecs: must be less than 1000000000, got 1000000000",
            "linux.timeOffsets.realtime: unknown clock \"realtime\" (want \"monotonic\" or \"boottime\")",
        ])
        offset.nanosecs = 999_999_999
        assertAccepts(spec(namespaces: ns("time")) { $0.timeOffsets = ["monotonic": offset, "boottime": offset] })
        let joined = spec(namespaces: [LinuxNamespace(type: "time", path: "/proc/1/ns/time")]) { $0.timeOffsets = ["boottime": offset] }
        assertRejects(joined, "linux.timeOffsets: cannot set offsets for a time namespace that is joined by path")
    }

    func testNetDevices() {
        let devices = ["eth0": LinuxNetDevice(name: "ctr0"), "bad/name": LinuxNetDevice(),
                       "eth1": LinuxNetDevice(name: "a-name-too-long-x"), "dummy0": LinuxNetDevice(name: "eth%d")]
        let noNet = spec(namespaces: ns("mount")) { $0.netDevices = devices }
        XCTAssertEqual(errorLines(noNet), [
            "linux.netDevices: unable to move network devices without a network namespace",
            "linux.netDevices[\"bad/name\"]: invalid network device name \"bad/name\"",
            "linux.netDevices.eth1.name: invalid network device name \"a-name-too-long-x\"",
        ])
        assertAccepts(spec(namespaces: ns("network")) { $0.netDevices = ["eth0": LinuxNetDevice(name: "ctr0"), "dummy0": LinuxNetDevice(name: "eth%d")] })
        assertRejects(spec(namespaces: ns("network", "user")) {
            $0.netDevices = ["eth0": LinuxNetDevice()]
            $0.uidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)]
            $0.gidMappings = $0.uidMappings
        }, "linux.netDevices: network devices are not supported for rootless containers", options: ValidationOptions(rootless: true))
    }

    func testInterfaceNames() {
        XCTAssertTrue(isValidInterfaceName("eth0"))
        XCTAssertTrue(isValidInterfaceName(String(repeating: "a", count: 15)))
        XCTAssertFalse(isValidInterfaceName(String(repeating: "a", count: 16)))
        for bad in ["", ".", "..", "a b", "a:b", "a/b", "a\tb"] { XCTAssertFalse(isValidInterfaceName(bad), bad) }
    }
}
