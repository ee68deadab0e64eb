import XCTest
import Foundation
@testable import OCISpec

final class JSONParserTests: XCTestCase {
    private func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

    private func parseError(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> JSONParseError? {
        do {
            let value = try JSONParser.parse(bytes)
            XCTFail("expected a parse error, got \(value)", file: file, line: line)
            return nil
        } catch let error as JSONParseError {
            return error
        } catch {
            XCTFail("unexpected error type \(error)", file: file, line: line)
            return nil
        }
    }

    private func parseError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> JSONParseError? {
        parseError(Array(text.utf8), file: file, line: line)
    }

    func testScalarsAndNesting() throws {
        XCTAssertEqual(try parse("null"), .null)
        XCTAssertEqual(try parse(" true "), .bool(true))
        XCTAssertEqual(try parse("false"), .bool(false))
        XCTAssertEqual(try parse("\"x\""), .string("x"))
        XCTAssertEqual(try parse("-12.5e3"), .number("-12.5e3"))
        XCTAssertEqual(try parse(#"{"a":[1,{"b":null}],"c":{}}"#),
                       .object([("a", .array([.number("1"), .object([("b", .null)])])), ("c", .object([]))]))
        XCTAssertEqual(try parse("[]"), .array([]))
    }

    func testKeyOrderIsKept() throws {
        guard case .object(let members) = try parse(#"{"z":1,"a":2,"m":3,"b":4}"#) else { return XCTFail() }
        XCTAssertEqual(members.map(\.key), ["z", "a", "m", "b"])
    }

    func testDuplicateKeysLastValueWins() throws {
        XCTAssertEqual(try parse(#"{"a":1,"b":2,"a":3}"#), .object([("a", .number("3")), ("b", .number("2"))]))
        // Large objects take the hashed path; same rule.
        var text = "{"
        for i in 0..<40 { text += "\"k\(i)\":\(i)," }
        text += "\"k7\":\"last\"}"
        guard case .object(let members) = try parse(text) else { return XCTFail() }
        XCTAssertEqual(members.count, 40)
        XCTAssertEqual(members[7].key, "k7")
        XCTAssertEqual(members[7].value, .string("last"))
    }

    func testNumbersKeepTheirLiteralText() throws {
        XCTAssertEqual(try parse("18446744073709551615"), .number("18446744073709551615"))
        XCTAssertEqual(try parse("-9223372036854775808"), .number("-9223372036854775808"))
        XCTAssertEqual(try parse("123456789012345678901234567890"), .number("123456789012345678901234567890"))
        XCTAssertEqual(try parse("1e400"), .number("1e400"))
    }

    func testUnicodeEscapes() throws {
        XCTAssertEqual(try parse(#""\u00e9\u4e2d""#), .string("é中"))
        XCTAssertEqual(try parse(#""\ud83d\ude00""#), .string("😀"))
        XCTAssertEqual(try parse(#""a\u0000b""#), .string("a\u{0}b"))
        XCTAssertEqual(try parse(#""\"\\\/\b\f\n\r\t""#), .string("\"\\/\u{8}\u{c}\n\r\t"))
        XCTAssertEqual(try parse("\"raw é 😀\""), .string("raw é 😀"))
        XCTAssertEqual(try parse(#"{"k\"\\":"x\\\"\ud83d\ude00"}"#), .object([("k\"\\", .string("x\\\"😀"))]))
    }

    func testLoneSurrogateEscapesBecomeReplacementCharacters() throws {
        // Go's encoding/json behaviour; yajl alone would emit "?" or a bogus code point.
        XCTAssertEqual(try parse(#""\ud800""#), .string("\u{FFFD}"))
        XCTAssertEqual(try parse(#""\udc00x""#), .string("\u{FFFD}x"))
        XCTAssertEqual(try parse(#""\ud800\u0041""#), .string("\u{FFFD}A"))
        XCTAssertEqual(try parse(#"["\ud83d\ude00\ud83d"]"#), .array([.string("😀\u{FFFD}")]))
    }

    func testMalformedInputReportsPosition() throws {
        let error = try XCTUnwrap(parseError("{\n  \"a\": 1,\n  \"b\": ]\n}"))
        XCTAssertEqual(error.line, 3)
        XCTAssertGreaterThan(error.column, 5)
        XCTAssertGreaterThan(error.offset, 14)
        XCTAssertTrue(error.description.contains("line 3"), error.description)
        XCTAssertFalse(error.message.isEmpty)

        let key = try XCTUnwrap(parseError(#"{1:2}"#))
        XCTAssertEqual(key.line, 1)
        XCTAssertTrue(key.message.contains("object key"), key.message)
    }

    func testTruncatedInput() throws {
        let error = try XCTUnwrap(parseError(#"{"a": [1, 2"#))
        XCTAssertEqual(error.offset, 11)
        XCTAssertTrue(error.message.contains("EOF"), error.message)
    }

    func testEmptyInput() throws {
        XCTAssertEqual(parseError("")?.message, "empty input")
        XCTAssertEqual(parseError(" \n\t ")?.message, "empty input")
    }

    func testTrailingGarbage() throws {
        let error = try XCTUnwrap(parseError(#"{"a":1} x"#))
        XCTAssertTrue(error.message.contains("trailing garbage"), error.message)
        XCTAssertNotNil(parseError("{} {}"))
    }

    func testCommentsAreRejected() {
        XCTAssertNotNil(parseError("// hi\n{}"))
        XCTAssertNotNil(parseError("{/* x */}"))
    }

    func testInvalidUTF8IsRejected() throws {
        let error = try XCTUnwrap(parseError([0x22, 0x61, 0xff, 0x22]))
        XCTAssertTrue(error.message.lowercased().contains("utf8"), error.message)
        XCTAssertNotNil(parseError([0x7b, 0x22, 0xc3, 0x22, 0x3a, 0x31, 0x7d]))  // truncated sequence in a key
        XCTAssertNotNil(parseError([0x22, 0xed, 0xa0, 0x80, 0x22]))  // CESU-8 surrogate
        XCTAssertNotNil(parseError([0x22, 0xc0, 0x80, 0x22]))  // overlong NUL
        XCTAssertNotNil(parseError([0x22, 0xf4, 0x90, 0x80, 0x80, 0x22]))  // past U+10FFFF
        let escaped = try XCTUnwrap(parseError([0x5b, 0x22, 0x5c, 0x6e, 0xc0, 0x80, 0x22, 0x5d]))  // with an escape
        XCTAssertTrue(escaped.message.contains("UTF-8"), escaped.message)
        XCTAssertEqual(escaped.offset, 2)
    }

    func testStrictUTF8AgreesWithSwiftValidation() {
        var rng = SystemRandomNumberGenerator()
        let interesting: [UInt8] = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf,
                                    0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff]
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...12, using: &rng)
            var bytes = (0..<count).map { _ in interesting.randomElement(using: &rng)! }
            if Bool.random(using: &rng) { bytes = Array(repeating: 0x61, count: Int.random(in: 0...9, using: &rng)) + bytes }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            XCTAssertEqual(bytes.withUnsafeBufferPointer(isStrictUTF8), expected, "\(bytes)")
        }
        for scalar in [0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x10ffff] {
            let bytes = Array(String(Character(Unicode.Scalar(UInt32(scalar))!)).utf8)
            XCTAssertTrue(bytes.withUnsafeBufferPointer(isStrictUTF8), "\(scalar)")
        }
    }

    func testNestingIsBounded() throws {
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        XCTAssertNoThrow(try parse(ok))
        let deep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        let error = try XCTUnwrap(parseError(deep))
        XCTAssertTrue(error.message.contains("nesting deeper than 512"), error.message)
        XCTAssertEqual(error.offset, 513)
        let hostile = String(repeating: "{\"a\":", count: 200_000)
        XCTAssertTrue(parseError(hostile)?.message.contains("nesting") ?? false)
        XCTAssertNoThrow(try JSONParser.parse(Array("[[[1]]]".utf8), maxDepth: 3))
        XCTAssertThrowsError(try JSONParser.parse(Array("[[[[1]]]]".utf8), maxDepth: 3))
    }

    func testEngineFixturesMatchFoundation() throws {
        let dir = "/work/shared/fixtures/engine-configs"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir))?.filter { $0.hasSuffix(".json") } ?? []
        if names.isEmpty { throw XCTSkip("no fixtures at \(dir)") }
        for name in names {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(name)"))
            let ours = try JSONParser.parse([UInt8](data))
            let rewritten = Data(JSONWriter.bytes(ours).map { $0 })
            let expected = try JSONSerialization.jsonObject(with: data) as! NSDictionary
            let actual = try JSONSerialization.jsonObject(with: rewritten) as! NSDictionary
            XCTAssertEqual(expected, actual, name)
            XCTAssertEqual(try JSONParser.parse(JSONWriter.bytes(ours, indent: "\t")), ours, name)
        }
    }
}
