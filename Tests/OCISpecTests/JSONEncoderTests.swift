import XCTest
import Foundation
@testable import OCISpec

private struct State: Codable, Equatable {
    var ociVersion: String
    var id: String
    var status: String
    var pid: Int?
    var bundle: String
    var annotations: [String: String]?
}

private struct Numbers: Codable, Equatable {
    var u64: UInt64
    var i64: Int64
    var u32: UInt32
    var i8: Int8
    var d: Double
    var f: Float
}

final class JSONEncoderTests: XCTestCase {
    func testKeyOrderFollowsModelAndNilIsOmitted() throws {
        let state = State(ociVersion: "1.2.0", id: "c1", status: "created", pid: nil, bundle: "/run/b")
        XCTAssertEqual(try encodeJSON(state), #"{"ociVersion":"1.2.0","id":"c1","status":"created","bundle":"/run/b"}"#)
        let running = State(ociVersion: "1.2.0", id: "c1", status: "running", pid: 42, bundle: "/b", annotations: [:])
        XCTAssertEqual(try encodeJSON(running), #"{"ociVersion":"1.2.0","id":"c1","status":"running","pid":42,"bundle":"/b","annotations":{}}"#)
    }

    func testDictionaryKeysAreSortedLikeGo() throws {
        let dict = ["b": 1, "a": 2, "B": 3, "é": 4, "aa": 5]
        XCTAssertEqual(try encodeJSON(dict), #"{"B":3,"a":2,"aa":5,"b":1,"é":4}"#)
        let state = State(ociVersion: "1", id: "x", status: "s", bundle: "/", annotations: ["z": "1", "m": "2", "a": "3"])
        XCTAssertTrue(try encodeJSON(state).hasSuffix(#""annotations":{"a":"3","m":"2","z":"1"}}"#))
    }

    func testStringEscaping() throws {
        XCTAssertEqual(try encodeJSON("/run/swiftlet/a/b"), #""/run/swiftlet/a/b""#)
        XCTAssertEqual(try encodeJSON("q\"b\\n\nr\rt\tb\u{8}f\u{c}\u{0}\u{1f}\u{7f}"), #""q\"b\\n\nr\rt\tb\bf\f\u0000\u001f\#u{7f}""#)
        XCTAssertEqual(try encodeJSON("é 中 😀 <&>"), "\"é 中 😀 <&>\"")
        let roundTrip = "all \u{0}\u{1}\u{2}\u{1e} of\\them/\"😀\u{2028}"
        XCTAssertEqual(try decodeJSON(String.self, from: Array(try encodeJSON(roundTrip).utf8)), roundTrip)
        // Foundation agrees on what we wrote.
        XCTAssertEqual(try Foundation.JSONDecoder().decode(String.self, from: Data(try encodeJSON(roundTrip).utf8)), roundTrip)
    }

    func testIntegersAreExact() throws {
        let n = Numbers(u64: .max, i64: .min, u32: .max, i8: -128, d: 0.1, f: 0.1)
        let text = try encodeJSON(n)
        XCTAssertEqual(text, #"{"u64":18446744073709551615,"i64":-9223372036854775808,"u32":4294967295,"i8":-128,"d":0.1,"f":0.1}"#)
        XCTAssertEqual(try decodeJSON(Numbers.self, from: Array(text.utf8)), n)
    }

    func testDoublesUseShortestGoLayout() throws {
        let cases: [(Double, String)] = [
            (100, "100"), (0, "0"), (-0.0, "-0"), (1.5, "1.5"), (0.1 + 0.2, "0.30000000000000004"),
            (1e16, "10000000000000000"), (123456789e12, "123456789000000000000"), (1e21, "1e+21"),
            (1.5e300, "1.5e+300"), (0.000001, "0.000001"), (1e-7, "1e-7"), (-2.5e-10, "-2.5e-10"),
            (Double.greatestFiniteMagnitude, "1.7976931348623157e+308"), (5e-324, "5e-324"),
        ]
        for (value, expected) in cases {
            XCTAssertEqual(try encodeJSON(value), expected, "\(value)")
            XCTAssertEqual(try decodeJSON(Double.self, from: Array(expected.utf8)).bitPattern, value.bitPattern, expected)
        }
        XCTAssertEqual(try encodeJSON(Float(16777216)), "16777216")
        XCTAssertEqual(try encodeJSON(Float(3.4e38)), "3.4e+38")
    }

    func testNonFiniteNumbersAreErrorsWithPath() throws {
        struct Holder: Encodable { var list: [Double] }
        XCTAssertThrowsError(try encodeJSON(Holder(list: [1, .nan]))) { error in
            XCTAssertEqual((error as? JSONEncodeError)?.path, "list[1]")
        }
        XCTAssertThrowsError(try encodeJSON(["k": Float.infinity]))
    }

    func testIndentedOutputMatchesGoMarshalIndent() throws {
        let value: JSONValue = .object([
            ("ociVersion", .string("1.2.0")),
            ("process", .object([("args", .array([.string("sh")])), ("env", .array([])), ("user", .object([]))])),
            ("n", .number("1")),
        ])
        XCTAssertEqual(JSONWriter.string(value, indent: "\t"),
                       "{\n\t\"ociVersion\": \"1.2.0\",\n\t\"process\": {\n\t\t\"args\": [\n\t\t\t\"sh\"\n\t\t],\n\t\t\"env\": [],\n\t\t\"user\": {}\n\t},\n\t\"n\": 1\n}")
        XCTAssertEqual(JSONWriter.string(.array([.number("1"), .null]), indent: "  "), "[\n  1,\n  null\n]")
        XCTAssertEqual(JSONWriter.string(value, indent: ""), JSONWriter.string(value))
    }

    func testRoundTripThroughJSONValueKeepsEverything() throws {
        let text = #"{"z":18446744073709551615,"a":[1.0,-0,1e400,"\u00e9/"],"m":{"k":null,"t":true}}"#
        let value = try JSONParser.parse(text)
        XCTAssertEqual(JSONWriter.string(value), #"{"z":18446744073709551615,"a":[1.0,-0,1e400,"é/"],"m":{"k":null,"t":true}}"#)
        XCTAssertEqual(try SpecEncoder().encodeValue(value), value)
        struct Wrapper: Codable, Equatable { var raw: JSONValue; var name: String }
        let wrapped = try decodeJSON(Wrapper.self, from: Array(#"{"name":"w","raw":{"b":[1,{"c":2}],"a":"x"}}"#.utf8))
        XCTAssertEqual(try encodeJSON(wrapped), #"{"raw":{"b":[1,{"c":2}],"a":"x"},"name":"w"}"#)
    }

    func testManualContainers() throws {
        struct Manual: Encodable {
            enum Keys: String, CodingKey { case a, b, c }
            func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: Keys.self)
                try c.encode(1, forKey: .a)
                var list = c.nestedUnkeyedContainer(forKey: .b)
                try list.encode("x")
                try list.encodeNil()
                var inner = list.nestedContainer(keyedBy: Keys.self)
                try inner.encode(true, forKey: .c)
                XCTAssertEqual(list.count, 3)
                try c.encode(2, forKey: .a)  // replaces in place
                var sup = c.superEncoder(forKey: .c).singleValueContainer()
                try sup.encode(UInt8(7))
            }
        }
        XCTAssertEqual(try encodeJSON(Manual()), #"{"a":2,"b":["x",null,{"c":true}],"c":7}"#)
    }

    func testAgreesWithFoundation() throws {
        let state = State(ociVersion: "1.2.0", id: "ctr/with\"odd\\chars\u{1}", status: "stopped", pid: 0,
                          bundle: "/var/lib/b", annotations: ["org.opencontainers.image.ref": "a/b:c", "x": ""])
        let ours = try SpecEncoder().encode(state)
        XCTAssertEqual(try Foundation.JSONDecoder().decode(State.self, from: Data(ours)), state)
        let foundation = Foundation.JSONEncoder()
        foundation.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let theirs = try foundation.encode(state)
        XCTAssertEqual(try JSONParser.parse([UInt8](theirs)).sortedForTest, try JSONParser.parse(ours).sortedForTest)
    }

    func testPrettyEngineFixtureRoundTrip() throws {
        let path = "/work/shared/fixtures/engine-configs/podman.json"
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("no fixture") }
        let value = try decodeJSON(JSONValue.self, fromFile: path)
        let pretty = try encodeJSON(value, indent: "\t")
        XCTAssertTrue(pretty.hasPrefix("{\n\t\"ociVersion\": "), String(pretty.prefix(40)))
        XCTAssertEqual(try JSONParser.parse(pretty), value)
        let foundationPretty = try JSONSerialization.jsonObject(with: Data(pretty.utf8)) as! NSDictionary
        let foundationOriginal = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! NSDictionary
        XCTAssertEqual(foundationPretty, foundationOriginal)
    }
}

extension JSONEncoderTests {
    /// runc writes `spec` output with Go's MarshalIndent and a tab; through our models and
    /// coders it must come back byte for byte.
    func testRuncSpecOutputReencodesByteForByte() throws {
        guard let runc = ["/usr/bin/runc", "/usr/sbin/runc", "/usr/local/bin/runc"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("runc not installed")
        }
        let dir = NSTemporaryDirectory() + "swiftlet-json-runcspec-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for args in [["spec"], ["spec", "--rootless"]] {
            try? FileManager.default.removeItem(atPath: dir + "/config.json")
            let process = Foundation.Process()
            process.executableURL = URL(fileURLWithPath: runc)
            process.arguments = args
            process.currentDirectoryURL = URL(fileURLWithPath: dir)
            try process.run()
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0)
            let original = try String(contentsOfFile: dir + "/config.json", encoding: .utf8)
            let spec = try decodeJSON(Spec.self, fromFile: dir + "/config.json")
            XCTAssertEqual(try encodeJSON(spec, indent: "\t"), original, "\(args)")
        }
    }
}

extension JSONValue {
    /// Objects with members sorted by key, to compare documents from encoders that order differently.
    var sortedForTest: JSONValue {
        switch self {
        case .array(let items): return .array(items.map(\.sortedForTest))
        case .object(let members):
            return .object(members.map { ($0.key, $0.value.sortedForTest) }.sorted { $0.0 < $1.0 }.map { (key: $0.0, value: $0.1) })
        default: return self
        }
    }
}
