// OCI bundles for the tests: one busybox rootfs made per test run by scripts/mkbundle.sh (or
// FallbackBundle when the checkout has no script) and copied per bundle; config.json is
// edited as a JSON dictionary by dotted path.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// config.json as plain JSON values, edited by dotted paths ("process.args", "linux.sysctl").
struct BundleConfig {
    var json: [String: Any]

    subscript(path: String) -> Any? {
        get {
            var node: Any? = json
            for key in path.split(separator: ".") {
                node = (node as? [String: Any])?[String(key)]
            }
            return node
        }
        set { json = BundleConfig.setting(json, path.split(separator: ".").map(String.init)[...], newValue) }
    }

    private static func setting(_ dict: [String: Any], _ keys: ArraySlice<String>, _ value: Any?) -> [String: Any] {
        var dict = dict
        guard let key = keys.first else { return dict }
        if keys.count == 1 {
            dict[key] = value
        } else {
            dict[key] = setting(dict[key] as? [String: Any] ?? [:], keys.dropFirst(), value)
        }
        return dict
    }

    var args: [String] {
        get { self["process.args"] as? [String] ?? [] }
        set { self["process.args"] = newValue }
    }

    /// Appends to an array at `path` (created when absent).
    mutating func append(_ path: String, _ value: Any) {
        var list = self[path] as? [Any] ?? []
        list.append(value)
        self[path] = list
    }

    mutating func addMount(destination: String, type: String? = nil, source: String, options: [String] = []) {
        var mount: [String: Any] = ["destination": destination, "source": source]
        if let type { mount["type"] = type }
        if !options.isEmpty { mount["options"] = options }
        append("mounts", mount)
    }

    mutating func removeMount(destination: String) {
        let mounts = self["mounts"] as? [[String: Any]] ?? []
        self["mounts"] = mounts.filter { $0["destination"] as? String != destination }
    }

    var namespaceTypes: [String] {
        (self["linux.namespaces"] as? [[String: Any]] ?? []).compactMap { $0["type"] as? String }
    }

    mutating func setNamespace(_ type: String, path: String? = nil) {
        var list = (self["linux.namespaces"] as? [[String: Any]] ?? []).filter { $0["type"] as? String != type }
        var entry: [String: Any] = ["type": type]
        if let path { entry["path"] = path }
        list.append(entry)
        self["linux.namespaces"] = list
    }

    mutating func removeNamespace(_ type: String) {
        let list = self["linux.namespaces"] as? [[String: Any]] ?? []
        self["linux.namespaces"] = list.filter { $0["type"] as? String != type }
    }

    mutating func addHook(_ kind: String, path: String, args: [String]? = nil, timeout: Int? = nil) {
        var hook: [String: Any] = ["path": path]
        if let args { hook["args"] = args }
        if let timeout { hook["timeout"] = timeout }
        append("hooks.\(kind)", hook)
    }

    func data() throws -> Data {
        try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
    }
}

final class TestBundle {
    let path: String
    var config: BundleConfig

    var rootfs: String { path + "/rootfs" }
    var configPath: String { path + "/config.json" }

    init(path: String, config: BundleConfig) {
        self.path = path
        self.config = config
    }

    /// Writes config.json; tests call it after editing `config` and before create/run.
    func save() throws {
        try config.data().write(to: URL(fileURLWithPath: configPath))
    }

    /// Writes a file inside the rootfs (parents created).
    func writeRootfsFile(_ relative: String, _ contents: String, mode: Int = 0o644) throws {
        let full = rootfs + "/" + relative
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try contents.write(toFile: full, atomically: false, encoding: .utf8)
        chmod(full, mode_t(mode))
    }
}

/// The busybox rootfs and base config.json, made once per test process and copied per bundle.
enum BundleTemplate {
    nonisolated(unsafe) private static var made: (dir: String, config: [String: Any])?
    private static let lock = NSLock()

    static func get() throws -> (dir: String, config: [String: Any]) {
        lock.lock()
        defer { lock.unlock() }
        if let made { return made }
        let dir = "/tmp/swiftlet-it-template-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        chmod(dir, 0o755)
        let config: [String: Any]
        if access(TestEnvironment.bundleScript, R_OK) == 0 {
            config = try runBundleScript(into: dir)
        } else {
            config = try FallbackBundle.make(at: dir + "/bundle", busybox: TestEnvironment.busybox, outputDir: dir)
        }
        made = (dir, config)
        atexit { BundleTemplate.removeAtExit() }
        return (dir, config)
    }

    private static func runBundleScript(into dir: String) throws -> [String: Any] {
        let result = try Subprocess.run(["/bin/sh", TestEnvironment.bundleScript, dir + "/bundle", "sh"],
                                        outputDir: dir, environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                                                                      "BUSYBOX": TestEnvironment.busybox],
                                        timeout: 120)
        guard result.succeeded else { throw SpawnError(description: "mkbundle.sh failed: \(result)") }
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/bundle/config.json"))
        guard let config = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SpawnError(description: "mkbundle.sh wrote a config.json that is not an object")
        }
        return config
    }

    private static func removeAtExit() {
        if let made { try? FileManager.default.removeItem(atPath: made.dir) }
    }

    /// Copies the template rootfs to `bundleDir/rootfs` and returns the bundle with the base config.
    static func makeBundle(at bundleDir: String, args: [String], outputDir: String) throws -> TestBundle {
        let template = try get()
        try FileManager.default.createDirectory(atPath: bundleDir, withIntermediateDirectories: true)
        chmod(bundleDir, 0o755)
        let copy = try Subprocess.run(["/bin/cp", "-a", template.dir + "/bundle/rootfs", bundleDir + "/rootfs"],
                                      outputDir: outputDir)
        guard copy.succeeded else { throw SpawnError(description: "copying the rootfs: \(copy)") }
        var config = BundleConfig(json: template.config)
        config.args = args
        let bundle = TestBundle(path: bundleDir, config: config)
        try bundle.save()
        return bundle
    }
}
