import XCTest
@testable import OCISpec

/// Real configs engines wrote, and `runc spec` output: all must decode with our decoder and
/// pass validation with no errors (their host paths do not exist here, so no bundle check).
final class FixtureValidationTests: XCTestCase {
    static func fixtureURLs(_ folder: String) throws -> [URL] {
        let dir = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).appendingPathComponent(folder)
        return try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    static func decodeFixture(_ url: URL) throws -> Spec {
        try SpecDecoder().decode(Spec.self, from: Array(try Data(contentsOf: url)))
    }

    func testEngineConfigsDecodeAndValidateCleanly() throws {
        let urls = try Self.fixtureURLs("engine-configs")
        XCTAssertEqual(urls.count, 8)
        for url in urls {
            let spec = try Self.decodeFixture(url)
            let report = validateSpec(spec, bundle: nil)
            XCTAssertEqual(report.errors.map(\.description), [], url.lastPathComponent)
            XCTAssertEqual(report.warnings.map(\.description), [], url.lastPathComponent)
            XCTAssertFalse(spec.process?.args?.isEmpty ?? true, url.lastPathComponent)
        }
    }

    func testOurDecoderAgreesWithFoundationOnFixtures() throws {
        for url in try Self.fixtureURLs("engine-configs") + Self.fixtureURLs("runc-spec") {
            let ours = try Self.decodeFixture(url)
            let foundation = try JSONDecoder().decode(Spec.self, from: Data(contentsOf: url))
            XCTAssertEqual(ours, foundation, url.lastPathComponent)
        }
    }

    func testDockerHostNetworkFixtureJoinsANamespaceByPath() throws {
        let url = try XCTUnwrap(Self.fixtureURLs("engine-configs").first { $0.lastPathComponent == "docker-readonly-hostnet.json" })
        let spec = try Self.decodeFixture(url)
        XCTAssertEqual(spec.linux?.namespaces?.first { $0.type == "network" }?.path, "/var/lib/example/docker/exec/netns/default")
        // The same config with a sysctl on the host's own netns must be refused.
        var hostNet = spec
        let joined = spec.linux?.namespaces?.map { $0.type == "network" ? LinuxNamespace(type: "network", path: "/proc/self/ns/net") : $0 }
        hostNet.linux?.namespaces = joined
        hostNet.linux?.sysctl = ["net.ipv4.ping_group_range": "0 0"]
        XCTAssertEqual(validate(hostNet, bundle: nil).count, 1)
    }

    func testRuncSpecOutputValidates() throws {
        let urls = try Self.fixtureURLs("runc-spec")
        XCTAssertEqual(urls.count, 2)
        for url in urls {
            let spec = try Self.decodeFixture(url)
            let rootless = url.lastPathComponent.contains("rootless")
            let report = validateSpec(spec, bundle: nil, options: ValidationOptions(rootless: rootless))
            XCTAssertEqual(report.errors.map(\.description), [], url.lastPathComponent)
            XCTAssertEqual(report.warnings.map(\.description), [], url.lastPathComponent)
        }
    }

    func testEngineFixturesLoadFromABundleWithARootfs() throws {
        let bundle = try makeTempDir()
        defer { removeTree(bundle) }
        try FileManager.default.createDirectory(atPath: bundle + "/rootfs", withIntermediateDirectories: false)
        for url in try Self.fixtureURLs("engine-configs") {
            var spec = try Self.decodeFixture(url)
            spec.root?.path = "rootfs"
            let data = try JSONEncoder().encode(spec)
            XCTAssertTrue(FileManager.default.createFile(atPath: bundle + "/config.json", contents: data))
            let (loaded, warnings) = try loadValidSpec(bundle: bundle)
            XCTAssertEqual(loaded, spec, url.lastPathComponent)
            XCTAssertEqual(warnings, [], url.lastPathComponent)
        }
    }
}
