import XCTest
@testable import OCISpec

final class DefaultSpecTests: XCTestCase {
    /// `runc spec [--rootless]` run here, or the recorded output of Debian's runc 1.1.5 when
    /// runc is not installed.
    private func runcSpec(rootless: Bool) throws -> [String: Any] {
        let runc = ["/usr/bin/runc", "/usr/sbin/runc", "/usr/local/bin/runc"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let data: Data
        if let runc {
            let dir = try makeTempDir()
            defer { removeTree(dir) }
            let p = Foundation.Process()
            p.executableURL = URL(fileURLWithPath: runc)
            p.arguments = ["spec", "--bundle", dir] + (rootless ? ["--rootless"] : [])
            try p.run()
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0)
            data = try Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))
        } else {
            let name = rootless ? "runc-1.1.5-spec-rootless" : "runc-1.1.5-spec"
            let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/runc-spec/" + name, withExtension: "json"))
            data = try Data(contentsOf: url)
        }
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    private func ours(rootless: Bool, host: DefaultSpecHost = .current()) throws -> [String: Any] {
        let bytes = try SpecEncoder(indent: "\t").encode(defaultSpec(rootless: rootless, host: host))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    private func same(_ a: Any?, _ b: Any?, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let lhs = a.map { NSArray(object: $0) }, rhs = b.map { NSArray(object: $0) }
        XCTAssertEqual(lhs, rhs, what, file: file, line: line)
    }

    private func compareWithRunc(rootless: Bool) throws {
        let mine = try ours(rootless: rootless), runc = try runcSpec(rootless: rootless)
        for key in ["root", "mounts"] { same(mine[key], runc[key], key) }
        let myProcess = try XCTUnwrap(mine["process"] as? [String: Any])
        let runcProcess = try XCTUnwrap(runc["process"] as? [String: Any])
        for key in ["terminal", "user", "args", "env", "cwd", "rlimits", "noNewPrivileges"] {
            same(myProcess[key], runcProcess[key], "process.\(key)")
        }
        let myCaps = try XCTUnwrap(myProcess["capabilities"] as? [String: Any])
        let runcCaps = try XCTUnwrap(runcProcess["capabilities"] as? [String: Any])
        for key in ["bounding", "effective", "permitted", "inheritable"] { same(myCaps[key], runcCaps[key], "capabilities.\(key)") }
        // runc 1.5's example.go dropped the ambient set that 1.1 still wrote.
        XCTAssertNil(myCaps["ambient"])
        let myLinux = try XCTUnwrap(mine["linux"] as? [String: Any])
        let runcLinux = try XCTUnwrap(runc["linux"] as? [String: Any])
        for key in ["namespaces", "maskedPaths", "readonlyPaths", "resources", "uidMappings", "gidMappings"] {
            same(myLinux[key], runcLinux[key], "linux.\(key)")
        }
        XCTAssertEqual(Set(myLinux.keys), Set(runcLinux.keys))
        XCTAssertEqual(Set(mine.keys), Set(runc.keys))
        XCTAssertEqual(mine["hostname"] as? String, "swiftlet")
        XCTAssertEqual(mine["ociVersion"] as? String, SpecVersion.current)
    }

    func testMatchesRuncSpec() throws { try compareWithRunc(rootless: false) }

    func testMatchesRuncSpecRootless() throws { try compareWithRunc(rootless: true) }

    func testDefaultSpecsValidate() {
        let host = DefaultSpecHost(uid: 1000, gid: 1000, cgroup2Unified: true)
        XCTAssertEqual(validateSpec(defaultSpec(rootless: false, host: host), bundle: nil), ValidationReport())
        XCTAssertEqual(validateSpec(defaultSpec(rootless: true, host: host), bundle: nil, options: ValidationOptions(rootless: true)),
                       ValidationReport())
    }

    func testRootlessChanges() throws {
        let spec = defaultSpec(rootless: true, host: DefaultSpecHost(uid: 1000, gid: 1001, cgroup2Unified: false))
        XCTAssertEqual(spec.linux?.namespaces?.map(\.type), ["pid", "ipc", "uts", "mount", "user"])
        XCTAssertEqual(spec.linux?.uidMappings, [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)])
        XCTAssertEqual(spec.linux?.gidMappings, [LinuxIDMapping(containerID: 0, hostID: 1001, size: 1)])
        XCTAssertNil(spec.linux?.resources)
        let sys = try XCTUnwrap(spec.mounts?.first { $0.destination == "/sys" })
        XCTAssertEqual(sys, Mount(destination: "/sys", type: "none", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"]))
        let pts = try XCTUnwrap(spec.mounts?.first { $0.destination == "/dev/pts" })
        XCTAssertFalse(pts.options?.contains("gid=5") ?? true)
        XCTAssertEqual(spec.mounts?.count, 7)
    }

    func testCgroupNamespaceOnUnifiedHosts() {
        let v2 = defaultSpec(rootless: false, host: DefaultSpecHost(uid: 0, gid: 0, cgroup2Unified: true))
        XCTAssertEqual(v2.linux?.namespaces?.map(\.type), ["pid", "network", "ipc", "uts", "mount", "cgroup"])
        let v1 = defaultSpec(rootless: false, host: DefaultSpecHost(uid: 0, gid: 0, cgroup2Unified: false))
        XCTAssertEqual(v1.linux?.namespaces?.map(\.type), ["pid", "network", "ipc", "uts", "mount"])
        let rootlessV2 = defaultSpec(rootless: true, host: DefaultSpecHost(uid: 5, gid: 5, cgroup2Unified: true))
        XCTAssertEqual(rootlessV2.linux?.namespaces?.map(\.type), ["pid", "ipc", "uts", "mount", "cgroup", "user"])
    }

    func testEncodedSpecRoundTrips() throws {
        for rootless in [false, true] {
            let spec = defaultSpec(rootless: rootless)
            let decoded = try SpecDecoder().decode(Spec.self, from: SpecEncoder(indent: "\t").encode(spec))
            XCTAssertEqual(decoded, spec)
        }
    }
}
