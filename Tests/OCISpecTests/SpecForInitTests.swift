import XCTest
@testable import OCISpec

final class SpecForInitTests: XCTestCase {
    let config = """
        {"ociVersion":"1.2.0","process":{"user":{"uid":0,"gid":0},"args":["sh"],"cwd":"/"},"hostname":"h",
         "linux":{"Seccomp":{"defaultAction":"SCMP_ACT_ALLOW"},"seccomp":{"defaultAction":"SCMP_ACT_ERRNO",
         "syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ALLOW"}]},"namespaces":[{"type":"pid"}],
         "sysctl":{"kernel.domainname":"x"}}}
        """

    func testInitsSpecHasEverythingButSeccomp() throws {
        let full = try decodeJSON(Spec.self, from: Array(config.utf8))
        XCTAssertNotNil(full.linux?.seccomp)
        let forInit = try decodeSpecWithoutSeccomp(Array(config.utf8))
        XCTAssertNil(forInit.linux?.seccomp, "both spellings the decoder accepts are left out")
        var expected = full
        expected.linux?.seccomp = nil
        XCTAssertEqual(forInit, expected)
    }

    func testWithoutLinuxOrSeccompNothingChanges() throws {
        let plain = #"{"ociVersion":"1.2.0","process":{"user":{"uid":0,"gid":0},"args":["true"],"cwd":"/"}}"#
        XCTAssertEqual(try decodeSpecWithoutSeccomp(Array(plain.utf8)), try decodeJSON(Spec.self, from: Array(plain.utf8)))
    }

    func testSyntaxErrorsStillSayWhere() {
        XCTAssertThrowsError(try decodeSpecWithoutSeccomp(Array("{\"ociVersion\":".utf8))) { error in
            XCTAssertTrue("\(error)".contains("line 1"), "\(error)")
        }
    }
}
