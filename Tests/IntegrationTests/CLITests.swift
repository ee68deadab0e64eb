// The command line around containers: logging (--log, --log-format, --debug), spec, features,
// --version, flag spellings, run --detach, and many runs at once.
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class CLITests: IntegrationTestCase {
    func testJSONLogOfAFailingCreate() throws {
        let bundle = try makeBundle(["no-such-command"])
        try bundle.save()
        for (n, format) in [["--log-format", "json"], ["--log-format=json"]].enumerated() {
            let log = workDir + "/log\(n).json"
            let result = try runtime(["create", "--bundle", bundle.path, newID()], global: ["--log", log] + format)
            XCTAssertNotEqual(result.exitCode, 0, "\(result)")
            let lines = Subprocess.read(log).split(separator: "\n")
            guard let last = lines.last,
                  let entry = try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any] else {
                XCTFail("\(format): the last log line is not a JSON object: \(lines)")
                continue
            }
            XCTAssertEqual(entry["level"] as? String, "error", "\(entry)")
            XCTAssertTrue((entry["msg"] as? String ?? "").contains("executable file not found in $PATH"), "\(entry)")
            let time = entry["time"] as? String ?? ""
            XCTAssertNotNil(rfc3339(time), "time \(time.debugDescription) is not RFC 3339")
            XCTAssertEqual(Set(entry.keys), ["level", "msg", "time"], "\(entry)")
        }
        assertNoLeaks()
    }

    private func rfc3339(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        // More than millisecond precision (Go and swiftlet print nanoseconds).
        let trimmed = text.replacingOccurrences(of: #"(\.\d{3})\d+"#, with: "$1", options: .regularExpression)
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: trimmed)
    }

    func testTextLogGoesToTheLogFile() throws {
        let bundle = try makeBundle(["no-such-command"])
        try bundle.save()
        let log = workDir + "/log.txt"
        let result = try runtime(["run", "--bundle", bundle.path, newID()], global: ["--log", log])
        XCTAssertNotEqual(result.exitCode, 0)
        let text = Subprocess.read(log)
        XCTAssertTrue(text.contains("level=error"), text)
        XCTAssertTrue(text.contains("executable file not found"), text)
        assertNoLeaks()
    }

    /// swiftlet's own: `--debug` times each init stage (runc logs no durations).
    func testDebugLogsInitStageDurations() throws {
        let bundle = try makeBundle(["true"])
        let log = workDir + "/debug.log"
        let result = try run(bundle, global: ["--debug", "--log", log])
        XCTAssertEqual(result.exitCode, 0, "\(result)")
        let lines = Subprocess.read(log).split(separator: "\n").map(String.init)
        let timed = lines.filter {
            $0.contains("level=debug")
                && $0.range(of: #"stage .*took [0-9.]+ ?(ns|µs|us|ms|s)"#, options: .regularExpression) != nil
        }
        XCTAssertGreaterThanOrEqual(timed.count, 3, "debug log has no stage timings:\n\(lines.joined(separator: "\n"))")
        assertNoLeaks()
    }

    func testSpecWritesAConfigThatRunAccepts() throws {
        let dir = workDir + "/spec-bundle"
        let template = try makeBundle(["true"], name: "template")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: template.rootfs, toPath: dir + "/rootfs")
        let spec = try runtime(["spec", "--bundle", dir])
        XCTAssertTrue(spec.succeeded, "\(spec)")
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))
        var config = BundleConfig(json: try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:])
        XCTAssertNotNil(config["ociVersion"] as? String)
        XCTAssertEqual(config["root.path"] as? String, "rootfs")
        config.args = ["sh", "-c", "echo from-spec"]
        config["process.terminal"] = false
        config.append("process.env", "SWIFTLET_IT_TOKEN=\(token)")
        let bundle = TestBundle(path: dir, config: config)
        let result = try run(bundle)
        XCTAssertEqual(result.exitCode, 0, "\(result)")
        XCTAssertEqual(result.stdout, "from-spec\n")

        // A second spec must not overwrite the edited config.
        let again = try runtime(["spec", "--bundle", dir])
        XCTAssertNotEqual(again.exitCode, 0, "spec overwrote an existing config.json: \(again)")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/config.json")), try bundle.config.data())
        assertNoLeaks()
    }

    func testRootlessSpecHasAUserNamespaceWithMappings() throws {
        let dir = workDir + "/rootless"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let spec = try runtime(["spec", "--rootless", "--bundle", dir])
        XCTAssertTrue(spec.succeeded, "\(spec)")
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/config.json"))
        let config = BundleConfig(json: try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:])
        XCTAssertTrue(config.namespaceTypes.contains("user"), "\(config.namespaceTypes)")
        XCTAssertFalse((config["linux.uidMappings"] as? [Any] ?? []).isEmpty)
        XCTAssertFalse((config["linux.gidMappings"] as? [Any] ?? []).isEmpty)
    }

    func testFeatures() throws {
        let result = try runtime(["features"])
        XCTAssertTrue(result.succeeded, "\(result)")
        guard let features = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            return XCTFail("features is not a JSON object: \(result)")
        }
        let minimum = features["ociVersionMin"] as? String ?? "", maximum = features["ociVersionMax"] as? String ?? ""
        let parse = { (v: String) in v.split(separator: "-").first?.split(separator: ".").compactMap { Int($0) } ?? [] }
        XCTAssertEqual(parse(minimum).count, 3, "ociVersionMin \(minimum.debugDescription)")
        XCTAssertEqual(parse(maximum).count, 3, "ociVersionMax \(maximum.debugDescription)")
        XCTAssertFalse(parse(maximum).lexicographicallyPrecedes(parse(minimum)), "\(minimum) > \(maximum)")
        let hooks = Set(features["hooks"] as? [String] ?? [])
        XCTAssertTrue(hooks.isSuperset(of: ["prestart", "createRuntime", "createContainer", "startContainer",
                                            "poststart", "poststop"]), "\(hooks)")
        let namespaces = Set((features["linux"] as? [String: Any])?["namespaces"] as? [String] ?? [])
        XCTAssertTrue(namespaces.isSuperset(of: ["pid", "network", "ipc", "uts", "mount", "user", "cgroup"]),
                      "\(namespaces)")
    }

    func testVersion() throws {
        let result = try runtime(["--version"])
        XCTAssertTrue(result.succeeded, "\(result)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.range(of: #"^\S+ version \S+"#, options: .regularExpression) != nil, "\(lines)")
        XCTAssertTrue(lines.contains { $0.range(of: #"^spec: 1\.\d+\.\d+"#, options: .regularExpression) != nil },
                      "\(lines)")
    }

    func testFlagSpellings() throws {
        let bundle = try makeBundle(["sleep", "30"])
        let id = newID()
        try create(bundle, id: id)
        for global in [["--root=\(stateRoot)"], ["-root", stateRoot], ["--root", stateRoot]] {
            let argv = [TestEnvironment.runtimePath] + global + ["state", id]
            let result = try host(argv)
            XCTAssertTrue(result.succeeded, "\(global): \(result)")
            XCTAssertTrue(result.stdout.contains(id), "\(global): \(result)")
        }
        let forced = try host([TestEnvironment.runtimePath, "--root", stateRoot, "delete", "-force", id])
        XCTAssertTrue(forced.succeeded, "-force: \(forced)")
        assertNoLeaks()
    }

    func testRunDetach() throws {
        let bundle = try makeBundle(["sleep", "30"])
        let id = newID()
        let pidFile = workDir + "/detached.pid"
        let began = Date()
        let result = try run(bundle, id: id, flags: ["--detach", "--pid-file", pidFile])
        XCTAssertTrue(result.succeeded, "\(result)")
        XCTAssertLessThan(Date().timeIntervalSince(began), 5, "run --detach waited for the process")
        let state = try self.state(id)
        XCTAssertEqual(state["status"] as? String, "running")
        XCTAssertEqual(Subprocess.read(pidFile).trimmingCharacters(in: .whitespacesAndNewlines),
                       (state["pid"] as? NSNumber)?.stringValue)
        try delete(id, force: true)
        assertNoLeaks()
    }

    func testTwentyConcurrentRuns() throws {
        let bundle = try makeBundle(["sh", "-c", "echo ok-$(hostname)"])
        bundle.config["hostname"] = "par"
        try bundle.save()
        let began = Date()
        let runs = try (0..<20).map { n in
            try startRuntime(["run", "--bundle", bundle.path, newID("par\(n)")])
        }
        let results = runs.map { $0.wait(timeout: 60) }
        for result in results {
            XCTAssertEqual(result.exitCode, 0, "\(result)")
            XCTAssertEqual(result.stdout, "ok-par\n", "\(result)")
        }
        let took = Date().timeIntervalSince(began)
        XCTAssertLessThan(took, 30, "20 parallel runs took \(took)s")
        assertNoLeaks("after 20 parallel runs")
    }

    /// The state lock: of many simultaneous creates of one id exactly one wins, and the losers
    /// leave the winner intact.
    func testConcurrentCreatesOfOneIDHaveOneWinner() throws {
        let bundle = try makeBundle(["sleep", "30"])
        try bundle.save()
        let id = newID()
        let creates = try (0..<8).map { _ in try startRuntime(["create", "--bundle", bundle.path, id]) }
        let results = creates.map { $0.wait(timeout: 30) }
        let winners = results.filter(\.succeeded)
        XCTAssertEqual(winners.count, 1, results.map(\.description).joined(separator: "\n"))
        for loser in results where !loser.succeeded {
            XCTAssertTrue(loser.stderr.contains("already exists"), "\(loser)")
        }
        let state = try self.state(id)
        XCTAssertEqual(state["status"] as? String, "created")
        XCTAssertTrue(processAlive((state["pid"] as? NSNumber)?.int32Value ?? 0))
        XCTAssertEqual(LeakSnapshot.processesMentioning(token, excluding: []).count, 1,
                       "losing creates left processes behind")
        try delete(id, force: true)
        assertNoLeaks()
    }

    func testConcurrentForcedDeletesAllSucceed() throws {
        let bundle = try makeBundle(["sleep", "30"])
        let id = newID()
        try create(bundle, id: id)
        try start(id)
        let deletes = try (0..<5).map { _ in try startRuntime(["delete", "--force", id]) }
        for result in deletes.map({ $0.wait(timeout: 30) }) {
            XCTAssertEqual(result.exitCode, 0, "\(result)")
        }
        assertNoLeaks("after racing deletes")
    }
}
