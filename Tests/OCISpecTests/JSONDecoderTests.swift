import XCTest
import Foundation
@testable import OCISpec

// Test-local shapes; the real spec models live elsewhere in OCISpec.
private struct Namespace: Codable, Equatable {
    var type: String
    var path: String?
}

private struct Linux: Codable, Equatable {
    var namespaces: [Namespace]?
    var sysctl: [String: String]?
}

private struct Config: Codable, Equatable {
    var ociVersion: String
    var hostname: String?
    var linux: Linux?
    var annotations: [String: String]?
}

private struct Widths: Codable, Equatable {
    var i8: Int8? = nil, i16: Int16? = nil, i32: Int32? = nil, i64: Int64? = nil, i: Int? = nil
    var u8: UInt8? = nil, u16: UInt16? = nil, u32: UInt32? = nil, u64: UInt64? = nil, u: UInt? = nil
    var d: Double? = nil, f: Float? = nil, b: Bool? = nil
}

private enum Kind: String, Codable { case pid, network }

private struct Typed: Codable { var kind: Kind }

final class JSONDecoderTests: XCTestCase {
    private func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try SpecDecoder().decode(type, from: Array(text.utf8))
    }

    private func decodeError<T: Decodable>(_ type: T.Type, _ text: String, file: StaticString = #filePath, line: UInt = #line) -> JSONDecodeError? {
        do {
            let value = try decode(type, text)
            XCTFail("expected an error, decoded \(value)", file: file, line: line)
        } catch let error as JSONDecodeError {
            return error
        } catch {
            XCTFail("unexpected error type \(Swift.type(of: error)): \(error)", file: file, line: line)
        }
        return nil
    }

    func testDecodesNestedModel() throws {
        let config = try decode(Config.self, #"""
        {"ociVersion":"1.2.0","hostname":"h","linux":{"namespaces":[{"type":"pid"},{"type":"network","path":"/proc/1/ns/net"}]},
         "unknownField":{"deep":[1,2,3]}}
        """#)
        XCTAssertEqual(config, Config(ociVersion: "1.2.0", hostname: "h",
                                      linux: Linux(namespaces: [Namespace(type: "pid"), Namespace(type: "network", path: "/proc/1/ns/net")])))
    }

    func testTypeMismatchNamesJSONPath() throws {
        let error = try XCTUnwrap(decodeError(Config.self,
            #"{"ociVersion":"1","linux":{"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":5}]}}"#))
        XCTAssertEqual(error.path, "linux.namespaces[2].type")
        XCTAssertEqual(error.message, "expected string, got number")
        XCTAssertEqual(error.description, "linux.namespaces[2].type: expected string, got number")

        XCTAssertEqual(decodeError(Config.self, #"{"ociVersion":"1","linux":[]}"#)?.description, "linux: expected object, got array")
        XCTAssertEqual(decodeError(Config.self, #"{"ociVersion":"1","linux":{"namespaces":{}}}"#)?.description,
                       "linux.namespaces: expected array, got object")
        XCTAssertEqual(decodeError(Config.self, "[]")?.description, "expected object at the top level, got array")
        XCTAssertEqual(decodeError(Widths.self, #"{"b":"true"}"#)?.description, "b: expected boolean, got string")
        XCTAssertEqual(decodeError(Widths.self, #"{"u32":"1"}"#)?.description, "u32: expected integer, got string")
        XCTAssertEqual(decodeError(Widths.self, #"{"d":false}"#)?.description, "d: expected number, got boolean")
    }

    func testMissingRequiredField() throws {
        let error = try XCTUnwrap(decodeError(Config.self, #"{"ociVersion":"1","linux":{"namespaces":[{"path":"/x"}]}}"#))
        XCTAssertEqual(error.description, "linux.namespaces[0].type: missing required field")
        XCTAssertEqual(decodeError(Config.self, #"{"ociVersion":null}"#)?.description, "ociVersion: expected string, got null")
    }

    func testKeysMatchCaseInsensitivelyLikeGo() throws {
        let config = try decode(Config.self, #"{"OCIVERSION":"1","HostName":"a","hostName":"b","linux":{"Namespaces":[{"TYPE":"pid"}]}}"#)
        XCTAssertEqual(config.ociVersion, "1")
        XCTAssertEqual(config.hostname, "b")
        XCTAssertEqual(config.linux?.namespaces, [Namespace(type: "pid")])
        XCTAssertEqual(try decode(Config.self, #"{"ociversion":"x","ociVersion":"exact"}"#).ociVersion, "exact")
        // Dictionary keys stay exact.
        let annotations = try decode(Config.self, #"{"ociVersion":"1","annotations":{"a":"1","A":"2"}}"#).annotations
        XCTAssertEqual(annotations, ["a": "1", "A": "2"])
        let ints = try decode([String: Int].self, #"{"k":1,"K":2}"#)
        XCTAssertEqual(ints, ["k": 1, "K": 2])
    }

    func testOddKeysAreQuotedInPaths() throws {
        let error = try XCTUnwrap(decodeError(Config.self, #"{"ociVersion":"1","annotations":{"io.k8s/x":1}}"#))
        XCTAssertEqual(error.description, #"annotations["io.k8s/x"]: expected string, got number"#)
        XCTAssertEqual(decodeError(Config.self, #"{"ociVersion":"1","linux":{"sysctl":{"net.core.x":true}}}"#)?.path,
                       #"linux.sysctl["net.core.x"]"#)
    }

    func testNullAndAbsentAreNil() throws {
        let a = try decode(Config.self, #"{"ociVersion":"1","hostname":null,"linux":null}"#)
        XCTAssertNil(a.hostname)
        XCTAssertNil(a.linux)
        let b = try decode(Widths.self, "{}")
        XCTAssertEqual(b, Widths())
        XCTAssertEqual(try decode([String?].self, #"["a",null]"#), ["a", nil])
    }

    func testIntegerWidthsAndRanges() throws {
        let ok = try decode(Widths.self, #"""
        {"i8":-128,"i16":32767,"i32":-2147483648,"i64":-9223372036854775808,"i":9223372036854775807,
         "u8":255,"u16":65535,"u32":4294967295,"u64":18446744073709551615,"u":0,"d":-0.5e-3,"f":1.5,"b":true}
        """#)
        XCTAssertEqual(ok.i8, .min); XCTAssertEqual(ok.i16, .max); XCTAssertEqual(ok.i32, .min)
        XCTAssertEqual(ok.i64, .min); XCTAssertEqual(ok.i, .max)
        XCTAssertEqual(ok.u8, .max); XCTAssertEqual(ok.u16, .max); XCTAssertEqual(ok.u32, .max)
        XCTAssertEqual(ok.u64, .max); XCTAssertEqual(ok.u, 0)
        XCTAssertEqual(ok.d, -0.0005); XCTAssertEqual(ok.f, 1.5); XCTAssertEqual(ok.b, true)

        XCTAssertEqual(decodeError(Widths.self, #"{"u32":4294967296}"#)?.description,
                       "u32: number 4294967296 out of range for UInt32 (0...4294967295)")
        XCTAssertEqual(decodeError(Widths.self, #"{"i8":128}"#)?.path, "i8")
        XCTAssertTrue(decodeError(Widths.self, #"{"u64":-1}"#)?.message.contains("out of range for UInt64") ?? false)
        XCTAssertTrue(decodeError(Widths.self, #"{"u64":18446744073709551616}"#)?.message.contains("out of range") ?? false)
        XCTAssertTrue(decodeError(Widths.self, #"{"i64":9223372036854775808}"#)?.message.contains("out of range for Int64") ?? false)
        XCTAssertEqual(decodeError(Widths.self, #"{"i":1.5}"#)?.description, "i: expected integer, got 1.5")
        XCTAssertEqual(decodeError(Widths.self, #"{"i":1e3}"#)?.description, "i: expected integer, got 1e3")
        XCTAssertTrue(decodeError(Widths.self, #"{"f":1e39}"#)?.message.contains("out of range for Float") ?? false)
        XCTAssertTrue(decodeError(Widths.self, #"{"d":1e309}"#)?.message.contains("out of range for Double") ?? false)
        XCTAssertEqual(try decode([UInt64].self, "[18446744073709551615, 0]"), [.max, 0])
        XCTAssertEqual(decodeError([UInt16].self, "[1, 65536]")?.path, "[1]")
    }

    func testSyntaxErrorsComeThroughWithPosition() throws {
        let error = try XCTUnwrap(decodeError(Config.self, "{\n\"ociVersion\": \"1\",,\n}"))
        XCTAssertEqual(error.path, "")
        XCTAssertEqual(error.syntax?.line, 2)
        XCTAssertTrue(error.description.hasPrefix("invalid JSON at line 2"), error.description)
        XCTAssertEqual(decodeError(Config.self, "")?.syntax?.message, "empty input")
    }

    func testSwiftDecodingErrorsGetPaths() throws {
        let error = try XCTUnwrap(decodeError([Typed].self, #"[{"kind":"pid"},{"kind":"mount"}]"#))
        XCTAssertEqual(error.path, "[1].kind")
        XCTAssertTrue(error.message.contains("mount"), error.message)
    }

    func testLargeDictionaryUsesLastDuplicate() throws {
        var text = #"{"ociVersion":"1","annotations":{"#
        text += (0..<100).map { "\"key\($0)\":\"v\($0)\"" }.joined(separator: ",")
        text += #","key5":"again"}}"#
        let config = try decode(Config.self, text)
        XCTAssertEqual(config.annotations?.count, 100)
        XCTAssertEqual(config.annotations?["key5"], "again")
        XCTAssertEqual(config.annotations?["key99"], "v99")
    }

    func testManualContainersAndSuperDecoder() throws {
        struct Manual: Decodable {
            var first: Int
            var rest: [String]
            var inner: Bool
            var superValue: JSONValue
            enum Keys: String, CodingKey { case list, nested, flag }
            init(from decoder: Decoder) throws {
                let c = try decoder.container(keyedBy: Keys.self)
                var list = try c.nestedUnkeyedContainer(forKey: .list)
                XCTAssertEqual(list.count, 3)
                first = try list.decode(Int.self)
                rest = []
                while !list.isAtEnd {
                    if try list.decodeNil() { continue }
                    rest.append(try list.decode(String.self))
                }
                XCTAssertThrowsError(try list.decode(String.self)) { error in
                    XCTAssertEqual((error as? JSONDecodeError)?.path, "list[3]")
                }
                let nested = try c.nestedContainer(keyedBy: Keys.self, forKey: .nested)
                inner = try nested.decode(Bool.self, forKey: .flag)
                XCTAssertEqual(nested.allKeys.map(\.stringValue), ["flag"])
                superValue = try JSONValue(from: c.superDecoder(forKey: .nested))
                XCTAssertEqual(try c.superDecoder(forKey: .flag).singleValueContainer().decodeNil(), true)
            }
        }
        let m = try decode(Manual.self, #"{"list":[7,null,"x"],"nested":{"flag":true,"other":1}}"#)
        XCTAssertEqual(m.first, 7)
        XCTAssertEqual(m.rest, ["x"])
        XCTAssertTrue(m.inner)
        XCTAssertEqual(m.superValue, .object([("flag", .bool(true)), ("other", .number("1"))]))
    }

    func testJSONValueIsDecodableThroughFoundationToo() throws {
        let text = #"{"a":[1,"x",null,true,{"b":-2}]}"#
        let viaFoundation = try Foundation.JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        XCTAssertEqual(viaFoundation, try JSONParser.parse(text))
    }

    func testDecodeFromFile() throws {
        let path = NSTemporaryDirectory() + "swiftlet-json-\(getpid()).json"
        let text = #"{"ociVersion":"1.0.2","hostname":"fromfile"}"#
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertEqual(try decodeJSON(Config.self, fromFile: path).hostname, "fromfile")

        XCTAssertThrowsError(try decodeJSON(Config.self, fromFile: "/nonexistent/dir/config.json")) { error in
            XCTAssertEqual("\(error)", "open /nonexistent/dir/config.json: No such file or directory")
        }
        XCTAssertThrowsError(try decodeJSON(Config.self, fromFile: "/")) { error in
            XCTAssertEqual("\(error)", "read /: Is a directory")
        }
    }

    func testReadWholeFileHandlesSizelessAndLargeFiles() throws {
        XCTAssertEqual(try readWholeFile("/proc/version"), [UInt8](try Data(contentsOf: URL(fileURLWithPath: "/proc/version"))))
        let path = NSTemporaryDirectory() + "swiftlet-json-big-\(getpid())"
        let big = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        FileManager.default.createFile(atPath: path, contents: big)
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertEqual(try readWholeFile(path), [UInt8](big))
        FileManager.default.createFile(atPath: path, contents: Data())
        XCTAssertEqual(try readWholeFile(path), [])
    }

    func testEngineFixturesDecodeLikeFoundation() throws {
        let dir = "/work/shared/fixtures/engine-configs"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir))?.filter { $0.hasSuffix(".json") } ?? []
        if names.isEmpty { throw XCTSkip("no fixtures at \(dir)") }
        for name in names {
            let path = "\(dir)/\(name)"
            let ours = try decodeJSON(Config.self, fromFile: path)
            let theirs = try Foundation.JSONDecoder().decode(Config.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            XCTAssertEqual(ours, theirs, name)
            XCTAssertNotNil(ours.linux?.namespaces, name)
        }
    }

    /// The real models through both coders: same values, and our encoding decodes back.
    func testEngineFixturesAsSpecAgreeWithFoundation() throws {
        let dir = "/work/shared/fixtures/engine-configs"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir))?.filter { $0.hasSuffix(".json") } ?? []
        if names.isEmpty { throw XCTSkip("no fixtures at \(dir)") }
        for name in names {
            let path = "\(dir)/\(name)"
            let ours = try decodeJSON(Spec.self, fromFile: path)
            let theirs = try Foundation.JSONDecoder().decode(Spec.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            XCTAssertEqual(ours, theirs, name)
            let encoded = try SpecEncoder(indent: "\t").encode(ours)
            XCTAssertEqual(try SpecDecoder().decode(Spec.self, from: encoded), ours, name)
            XCTAssertEqual(try Foundation.JSONDecoder().decode(Spec.self, from: Data(encoded)), ours, name)
        }
    }
}
