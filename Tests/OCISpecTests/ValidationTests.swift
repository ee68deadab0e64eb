import XCTest
@testable import OCISpec

/// A minimal config every rule accepts; each test breaks one thing in it.
func validBaseSpec() -> Spec {
    var spec = Spec()
    spec.ociVersion = "1.0.2-dev"
    spec.root = Root(path: "rootfs")
    var process = OCISpec.Process()
    process.args = ["sh"]
    process.cwd = "/"
    process.env = ["PATH=/usr/bin:/bin", "TERM=xterm"]
    spec.process = process
    spec.hostname = "box"
    var linux = Linux()
    linux.namespaces = ["pid", "network", "ipc", "uts", "mount"].map { LinuxNamespace(type: $0) }
    spec.linux = linux
    return spec
}

func errorLines(_ spec: Spec, bundle: String? = nil, options: ValidationOptions = ValidationOptions()) -> [String] {
    validate(spec, bundle: bundle, options: options).map(\.description)
}

func warningLines(_ spec: Spec, options: ValidationOptions = ValidationOptions()) -> [String] {
    validateSpec(spec, bundle: nil, options: options).warnings.map(\.description)
}

/// Asserts `spec` is rejected with exactly the issue `line` among its errors.
func assertRejects(_ spec: Spec, _ line: String, options: ValidationOptions = ValidationOptions(),
                   file: StaticString = #filePath, lineNo: UInt = #line) {
    let errors = errorLines(spec, options: options)
    XCTAssertTrue(errors.contains(line), "expected \(line)\n got \(errors)", file: file, line: lineNo)
}

/// Asserts `spec` has no errors at all.
func assertAccepts(_ spec: Spec, options: ValidationOptions = ValidationOptions(),
                   file: StaticString = #filePath, lineNo: UInt = #line) {
    let errors = errorLines(spec, options: options)
    XCTAssertEqual(errors, [], file: file, line: lineNo)
}

final class ValidationTests: XCTestCase {
    func testBaseSpecIsValid() {
        assertAccepts(validBaseSpec())
        XCTAssertEqual(warningLines(validBaseSpec()), [])
    }

    func testIssuePrintsPathColonMessage() {
        XCTAssertEqual(ValidationIssue(path: "process.args", message: "must not be empty").description,
                       "process.args: must not be empty")
        XCTAssertEqual(ValidationIssue(path: "", message: "x").description, "x")
    }

    func testPathsQuoteKeysThatAreNotIdentifiers() {
        XCTAssertEqual(IssuePath("linux").dot("sysctl").key("net.ipv4.ip_forward").text, "linux.sysctl[\"net.ipv4.ip_forward\"]")
        XCTAssertEqual(IssuePath("linux").dot("rdma").key("mlx5_1").text, "linux.rdma.mlx5_1")
        XCTAssertEqual(IssuePath("a").at(2).dot("b").text, "a[2].b")
    }

    func testReportsEveryProblemNotJustTheFirst() {
        var spec = validBaseSpec()
        spec.process?.args = []
        spec.process?.cwd = "relative"
        spec.linux?.namespaces?.append(LinuxNamespace(type: "foo"))
        let errors = errorLines(spec)
        XCTAssertEqual(errors, [
            "process.args: must not be empty",
            "process.cwd: must be an absolute path, got \"relative\"",
            "linux.namespaces[5].type: unknown namespace type \"foo\"",
        ])
    }

    // MARK: ociVersion

    func testVersionMustBeSemVerWithMajorOne() {
        for good in ["1.0.0", "1.0.2-dev", "1.3.0+dev", "1.2.1-rc.1+build.7"] {
            var spec = validBaseSpec(); spec.ociVersion = good
            assertAccepts(spec)
        }
        var spec = validBaseSpec()
        spec.ociVersion = ""
        assertRejects(spec, "ociVersion: is required")
        spec.ociVersion = "1.0"
        assertRejects(spec, "ociVersion: \"1.0\" is not a valid SemVer 2.0.0 version")
        spec.ociVersion = "01.0.0"
        assertRejects(spec, "ociVersion: \"01.0.0\" is not a valid SemVer 2.0.0 version")
        spec.ociVersion = "1.0.0-"
        assertRejects(spec, "ociVersion: \"1.0.0-\" is not a valid SemVer 2.0.0 version")
        spec.ociVersion = "2.0.0"
        assertRejects(spec, "ociVersion: unsupported major version 2 in \"2.0.0\" (runtime-spec 1.x is supported)")
        spec.ociVersion = "0.9.0"
        assertRejects(spec, "ociVersion: unsupported major version 0 in \"0.9.0\" (runtime-spec 1.x is supported)")
    }

    func testSemanticVersionParts() {
        let v = SemanticVersion("1.2.3-rc.1+b.9")
        XCTAssertEqual(v?.major, 1); XCTAssertEqual(v?.minor, 2); XCTAssertEqual(v?.patch, 3)
        XCTAssertEqual(v?.prerelease, ["rc", "1"]); XCTAssertEqual(v?.build, ["b", "9"])
        XCTAssertNil(SemanticVersion("1.2.3-01"))
        XCTAssertNil(SemanticVersion("1.2.3+"))
        XCTAssertNil(SemanticVersion("v1.2.3"))
    }

    // MARK: root

    func testRootIsRequired() {
        var spec = validBaseSpec()
        spec.root = nil
        assertRejects(spec, "root: is required")
        spec.root = Root(path: "")
        assertRejects(spec, "root.path: must not be empty")
    }

    func testRootMustExistInTheBundle() throws {
        let bundle = try makeTempDir()
        defer { removeTree(bundle) }
        let spec = validBaseSpec()
        XCTAssertEqual(errorLines(spec, bundle: bundle), ["root.path: \(bundle)/rootfs does not exist"])
        XCTAssertTrue(FileManager.default.createFile(atPath: bundle + "/rootfs", contents: Data()))
        XCTAssertEqual(errorLines(spec, bundle: bundle), ["root.path: \(bundle)/rootfs is not a directory"])
        try FileManager.default.removeItem(atPath: bundle + "/rootfs")
        try FileManager.default.createDirectory(atPath: bundle + "/rootfs", withIntermediateDirectories: false)
        XCTAssertEqual(errorLines(spec, bundle: bundle), [])

        var absolute = spec
        absolute.root = Root(path: bundle + "/rootfs")
        XCTAssertEqual(errorLines(absolute, bundle: "/nonexistent-bundle"), [])
    }

    func testRootReachedThroughASymlinkIsRejected() throws {
        let bundle = try makeTempDir()
        defer { removeTree(bundle) }
        try FileManager.default.createDirectory(atPath: bundle + "/real", withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: bundle + "/rootfs", withDestinationPath: "real")
        XCTAssertEqual(errorLines(validBaseSpec(), bundle: bundle),
                       ["root.path: \(bundle)/rootfs is a symlink or not a canonical path (it resolves to \(bundle)/real)"])
    }

    // MARK: hostname / domainname

    func testHostnameNeedsUTSNamespace() {
        var spec = validBaseSpec()
        spec.linux?.namespaces?.removeAll { $0.type == "uts" }
        assertRejects(spec, "hostname: unable to set hostname without a private UTS namespace")
        spec.hostname = nil
        spec.domainname = "example.org"
        assertRejects(spec, "domainname: unable to set domainname without a private UTS namespace")
        spec.domainname = nil
        assertAccepts(spec)
    }

    func testHostnameLength() {
        var spec = validBaseSpec()
        spec.hostname = String(repeating: "h", count: 64)
        assertAccepts(spec)
        spec.hostname = String(repeating: "h", count: 65)
        assertRejects(spec, "hostname: must be at most 64 bytes long")
    }

    // MARK: hooks, annotations

    func testHookPathAbsoluteAndTimeoutPositive() {
        var spec = validBaseSpec()
        var hooks = Hooks()
        var good = Hook(path: "/usr/bin/hook", args: ["hook"])
        good.timeout = 5
        var bad = Hook(path: "hook")
        bad.timeout = 0
        var empty = Hook(path: "")
        empty.env = ["NOEQUALS"]
        hooks.createRuntime = [good, bad]
        hooks.poststop = [empty]
        spec.hooks = hooks
        XCTAssertEqual(errorLines(spec), [
            "hooks.createRuntime[1].path: must be an absolute path, got \"hook\"",
            "hooks.createRuntime[1].timeout: must be greater than zero, got 0",
            "hooks.poststop[0].path: must not be empty",
            "hooks.poststop[0].env[0]: must be in KEY=VALUE form, got \"NOEQUALS\"",
        ])
        spec.hooks?.createRuntime = [good]
        spec.hooks?.poststop = nil
        assertAccepts(spec)
    }

    func testAnnotationKeysMustNotBeEmpty() {
        var spec = validBaseSpec()
        spec.annotations = ["org.example.key": "v"]
        assertAccepts(spec)
        spec.annotations = ["": "v"]
        assertRejects(spec, "annotations[\"\"]: annotation keys must not be empty")
    }

    // MARK: options

    func testRootlessNeedsUserNamespaceWithMappings() {
        let rootless = ValidationOptions(rootless: true)
        var spec = validBaseSpec()
        assertRejects(spec, "linux.namespaces: rootless containers require a user namespace", options: rootless)
        spec.linux?.namespaces?.append(LinuxNamespace(type: "user"))
        assertRejects(spec, "linux.uidMappings: a new user namespace needs uid mappings (or a namespace path to join)", options: rootless)
        spec.linux?.uidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)]
        spec.linux?.gidMappings = [LinuxIDMapping(containerID: 0, hostID: 1000, size: 1)]
        assertAccepts(spec, options: rootless)
    }

    func testProcessRequiredOnlyWhenAsked() {
        var spec = validBaseSpec()
        spec.process = nil
        assertRejects(spec, "process: is required")
        assertAccepts(spec, options: ValidationOptions(requireProcess: false))
    }
}

func makeTempDir() throws -> String {
    let path = NSTemporaryDirectory() + "swiftlet-validate-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    // realpath, so messages built from it match the canonical path the validator computes
    return URL(fileURLWithPath: path).resolvingSymlinksInPath().path
}

func removeTree(_ path: String) { try? FileManager.default.removeItem(atPath: path) }
