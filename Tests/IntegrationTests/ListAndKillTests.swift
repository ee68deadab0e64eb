// `list` with containers it cannot read, as runc 1.5 has it.
import Foundation
import XCTest

final class ListAndKillTests: IntegrationTestCase {
    func testListWarnsAboutUnreadableContainersAndListsTheRest() throws {
        let bundle = try makeBundle(["sleep", "30"])
        let good = newID("good"), corrupt = newID("corrupt"), unfinished = newID("unfinished")
        try create(bundle, id: good)
        try FileManager.default.createDirectory(atPath: stateRoot + "/" + corrupt, withIntermediateDirectories: false)
        try "{\"id\": ".write(toFile: stateRoot + "/" + corrupt + "/state.json", atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: stateRoot + "/" + unfinished, withIntermediateDirectories: false)

        for args in [["list", "-q"], ["list"], ["list", "--format", "json"]] {
            let result = try runtime(args)
            XCTAssertTrue(result.succeeded, "\(result)")
            XCTAssertTrue(result.stdout.contains(good), "\(result)")
            XCTAssertFalse(result.stdout.contains(corrupt) || result.stdout.contains(unfinished), "\(result)")
            let warnings = result.stderr.split(separator: "\n")
            XCTAssertEqual(warnings.count, 2, "\(result)")
            XCTAssertTrue(warnings.contains { $0.hasPrefix("load container \(corrupt): ") && $0.contains("corrupt state file") },
                          "\(result)")
            XCTAssertTrue(warnings.contains { $0.hasPrefix("load container \(unfinished): ") && $0.contains("is missing") },
                          "\(result)")
        }
        // The warnings are on stderr even when the log goes to a file.
        let logged = try runtime(["list", "-q"], global: ["--log", workDir + "/list.log"])
        XCTAssertEqual(logged.stderr.split(separator: "\n").count, 2, "\(logged)")
        try delete(good, force: true)
        try delete(corrupt, force: true)
        try delete(unfinished, force: true)
        assertNoLeaks()
    }
}
