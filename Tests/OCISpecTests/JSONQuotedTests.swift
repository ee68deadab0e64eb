import XCTest
@testable import OCISpec

/// `jsonQuoted` is the one string escaper: log lines, validation messages and encoded values.
final class JSONQuotedTests: XCTestCase {
    func testSlashesAndNonASCIIStayAsTheyAre() {
        XCTAssertEqual(jsonQuoted("/run/swiftlet/a b"), #""/run/swiftlet/a b""#)
        XCTAssertEqual(jsonQuoted("héllo ✓"), "\"héllo ✓\"")
        XCTAssertEqual(jsonQuoted(""), #""""#)
    }

    func testQuotesBackslashesAndShortEscapes() {
        XCTAssertEqual(jsonQuoted(#"say "hi" \ bye"#), #""say \"hi\" \\ bye""#)
        XCTAssertEqual(jsonQuoted("a\nb\rc\td"), #""a\nb\rc\td""#)
        XCTAssertEqual(jsonQuoted("\u{8}\u{c}"), #""\b\f""#)
    }

    func testOtherControlCharactersAreUnicodeEscapes() {
        XCTAssertEqual(jsonQuoted("\u{0}\u{1}\u{1b}\u{1f} "), #""\u0000\u0001\u001b\u001f ""#)
        // DEL is not a control character for JSON.
        XCTAssertEqual(jsonQuoted("\u{7f}"), "\"\u{7f}\"")
    }

    func testSameAsTheEncodersStrings() throws {
        let samples = ["plain", "a/b \"c\"\n\u{1}", "tab\there", "\\\\", "😀\u{2028}"]
        for s in samples {
            XCTAssertEqual(jsonQuoted(s), JSONWriter.string(.string(s)), s)
            // Round trip: what it writes reads back as the same string.
            XCTAssertEqual(try JSONParser.parse(Array(jsonQuoted(s).utf8)), .string(s), s)
        }
    }

    func testValidationMessagesQuoteUserValuesWithIt() {
        var spec = validBaseSpec()
        spec.process?.env = ["no\nequals"]
        assertRejects(spec, #"process.env[0]: must be in KEY=VALUE form, got "no\nequals""#)
    }
}
