import Foundation
import Linux
import XCTest

final class AtomicWriteTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "swiftlet-atomic-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func entries() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir).sorted() }
    func text(_ name: String) throws -> String { try String(contentsOfFile: dir + "/" + name, encoding: .utf8) }

    func testANewFileTakesItsName() throws {
        try FileSystem.writeAtomically(dir + "/pid", Array("123".utf8))
        XCTAssertEqual(try entries(), ["pid"])
        XCTAssertEqual(try text("pid"), "123")
    }

    func testAnExistingFileIsReplacedAndNothingElseStays() throws {
        try FileSystem.writeAtomically(dir + "/pid", Array("old".utf8))
        let before = try FileManager.default.attributesOfItem(atPath: dir + "/pid")[.systemFileNumber] as? Int
        try FileSystem.writeAtomically(dir + "/pid", Array("new".utf8))
        XCTAssertEqual(try entries(), ["pid"])
        XCTAssertEqual(try text("pid"), "new")
        let after = try FileManager.default.attributesOfItem(atPath: dir + "/pid")[.systemFileNumber] as? Int
        XCTAssertNotEqual(before, after, "the new file, not the old one rewritten")
    }

    func testASymlinkIsReplacedNotFollowed() throws {
        try "target".write(toFile: dir + "/target", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/pid", withDestinationPath: dir + "/target")
        try FileSystem.writeAtomically(dir + "/pid", Array("new".utf8))
        XCTAssertEqual(try text("pid"), "new")
        XCTAssertEqual(try text("target"), "target")
        XCTAssertEqual(try entries(), ["pid", "target"])
    }

    func testADirectoryInTheWayIsAnErrorAndLeftAlone() throws {
        try FileManager.default.createDirectory(atPath: dir + "/pid/inside", withIntermediateDirectories: true)
        XCTAssertThrowsError(try FileSystem.writeAtomically(dir + "/pid", Array("new".utf8))) { error in
            XCTAssertTrue("\(error)".contains("rename"), "\(error)")
        }
        XCTAssertEqual(try entries(), ["pid"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/pid/inside"))
    }
}
