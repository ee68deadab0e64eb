import XCTest
@testable import OCISpec

final class ValidationLoaderTests: XCTestCase {
    private var bundle = ""

    override func setUpWithError() throws {
        bundle = try makeTempDir()
    }

    override func tearDown() { removeTree(bundle) }

    private func write(_ text: String, to name: String = "config.json") {
        XCTAssertTrue(FileManager.default.createFile(atPath: bundle + "/" + name, contents: Data(text.utf8)))
    }

    func testMissingConfigNamesTheFileLikeRunc() {
        XCTAssertThrowsError(try loadSpec(bundle: bundle)) { error in
            XCTAssertEqual("\(error)", "open \(bundle)/config.json: no such file or directory")
        }
    }

    func testConfigThatIsADirectory() throws {
        try FileManager.default.createDirectory(atPath: bundle + "/config.json", withIntermediateDirectories: false)
        XCTAssertThrowsError(try loadSpec(bundle: bundle)) { error in
            XCTAssertEqual("\(error)", "read \(bundle)/config.json: is a directory")
        }
    }

    func testDecodeErrorsCarryFileAndJSONPath() {
        write(#"{"ociVersion": "1.0.0", "root": {"path": 5}}"#)
        XCTAssertThrowsError(try loadSpec(bundle: bundle)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("\(bundle)/config.json: root.path: "), text)
        }
        write("{not json")
        XCTAssertThrowsError(try loadSpec(bundle: bundle)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(bundle)/config.json: "), "\(error)")
            guard case .decode = error as? SpecLoadError else { return XCTFail("\(error)") }
        }
    }

    func testLoadsAndValidatesAllProblemsInOneLine() throws {
        write("""
        {"ociVersion": "1.0.2", "root": {"path": "rootfs"},
         "process": {"user": {"uid": 0, "gid": 0}, "cwd": "/", "args": []},
         "linux": {"namespaces": [{"type": "pid"}, {"type": "foo"}]}}
        """)
        let spec = try loadSpec(bundle: bundle)
        XCTAssertEqual(spec.linux?.namespaces?.count, 2)
        XCTAssertThrowsError(try loadValidSpec(bundle: bundle)) { error in
            XCTAssertEqual("\(error)", "\(bundle)/config.json: 3 problems: root.path: \(bundle)/rootfs does not exist; "
                + "process.args: must not be empty; linux.namespaces[1].type: unknown namespace type \"foo\"")
            guard case let .invalid(_, issues)? = error as? SpecLoadError else { return XCTFail("\(error)") }
            XCTAssertEqual(issues.count, 3)
        }
    }

    func testValidBundleLoadsWithWarnings() throws {
        try FileManager.default.createDirectory(atPath: bundle + "/rootfs", withIntermediateDirectories: false)
        write("""
        {"ociVersion": "1.0.2", "root": {"path": "rootfs"},
         "process": {"user": {"uid": 0, "gid": 0}, "cwd": "/", "args": ["sh"],
                     "capabilities": {"bounding": ["CAP_KILL", "CAP_NOPE"]}},
         "mounts": [{"destination": "proc", "type": "proc", "source": "proc"}],
         "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}]}}
        """)
        let (spec, warnings) = try loadValidSpec(bundle: bundle)
        XCTAssertEqual(spec.process?.args, ["sh"])
        XCTAssertEqual(warnings.map(\.description), [
            "process.capabilities.bounding[1]: unknown capability \"CAP_NOPE\" is ignored",
            "mounts[0].destination: relative destination \"proc\" is deprecated; it is taken as relative to /",
        ])
    }

    func testSingleProblemWording() throws {
        var spec = validBaseSpec()
        spec.process?.cwd = ""
        XCTAssertThrowsError(try requireValid(spec, bundle: nil)) { error in
            XCTAssertEqual("\(error)", "config.json: invalid config: process.cwd: must not be empty")
        }
    }

    func testProcessFileForExec() throws {
        write(#"{"user": {"uid": 0, "gid": 0}, "cwd": "/", "args": ["ps"], "env": ["X"]}"#, to: "process.json")
        let process = try loadProcess(path: bundle + "/process.json")
        XCTAssertEqual(process.args, ["ps"])
        XCTAssertThrowsError(try requireValid(process: process, path: "process.json")) { error in
            XCTAssertEqual("\(error)", "process.json: invalid config: env[0]: must be in KEY=VALUE form, got \"X\"")
        }
    }
}
