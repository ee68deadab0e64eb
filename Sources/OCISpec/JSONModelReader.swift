// Hand-written decoding of models from a parsed `JSONValue`, for the documents every command
// reads on its hot path (config.json, state.json, init's bootstrap).
//
// Why not Codable: in a static Swift binary the first decode of each model instantiates its
// `KeyedDecodingContainer<CodingKeys>` and box types at run time, and each instantiation scans
// every protocol conformance record in the binary. A cold config.json decode cost ~0.45 ms that
// way, paid by the parent and again by init. These readers are plain concrete code: no
// generic type is built at run time. The rules are those of `SpecDecoder` (same error texts,
// same paths): unknown keys ignored, `null` is absent for optionals, keys matched exactly and
// else ASCII case-insensitively (the last such key wins, as in Go's encoding/json), integer
// widths checked against the number's text.

/// Where a value sits in its document, built only as deep as the decode goes and rendered
/// (`linux.namespaces[2].type`) only when an error needs it.
public final class JSONPath: Sendable {
    enum Component {
        case key(String)
        case index(Int)
    }

    let parent: JSONPath?
    let component: Component?

    private init(parent: JSONPath?, component: Component?) {
        self.parent = parent
        self.component = component
    }

    public static let root = JSONPath(parent: nil, component: nil)

    public func key(_ name: String) -> JSONPath { JSONPath(parent: self, component: .key(name)) }
    public func index(_ i: Int) -> JSONPath { JSONPath(parent: self, component: .index(i)) }

    var isRoot: Bool { component == nil }

    /// The same rendering as `jsonPathString` gives a coding path.
    public var string: String {
        var keys: [CodingKey] = []
        var node: JSONPath? = self
        while let n = node, let c = n.component {
            switch c {
            case .key(let k): keys.append(AnyCodingKey(k))
            case .index(let i): keys.append(IndexCodingKey(i))
            }
            node = n.parent
        }
        return jsonPathString(keys.reversed())
    }
}

/// A model that reads itself from a JSON value.
public protocol JSONReadable {
    init(json: JSONValue, at path: JSONPath) throws
}

/// The scalar readers: each checks the value's kind and names the path on a mismatch.
public enum JSONRead {
    public static func mismatch(_ expected: String, _ got: JSONValue, _ path: JSONPath) -> JSONDecodeError {
        let place = path.isRoot ? " at the top level" : ""
        return JSONDecodeError(path: path.string, message: "expected \(expected)\(place), got \(got.kindName)")
    }

    public static func string(_ value: JSONValue, at path: @autoclosure () -> JSONPath) throws -> String {
        guard case .string(let s) = value else { throw mismatch("string", value, path()) }
        return s
    }

    public static func bool(_ value: JSONValue, at path: @autoclosure () -> JSONPath) throws -> Bool {
        guard case .bool(let b) = value else { throw mismatch("boolean", value, path()) }
        return b
    }

    public static func integer<T: FixedWidthInteger>(_ value: JSONValue, _ type: T.Type, at path: @autoclosure () -> JSONPath) throws -> T {
        guard case .number(let text) = value else { throw mismatch("integer", value, path()) }
        if let n = parseInteger(text, as: T.self) { return n }
        let integral = text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }
        let message = integral
            ? "number \(text) out of range for \(T.self) (\(T.min)...\(T.max))"
            : "expected integer, got \(text)"
        throw JSONDecodeError(path: path().string, message: message)
    }

    /// A JSON number's text as `T`: `-`? digits, within 64 bits and T's range. Parsed here as
    /// UInt64, then converted: `T(text)` is generic over the string too, and called from other
    /// modules it ran unspecialized (7% of a `delete`).
    static func parseInteger<T: FixedWidthInteger>(_ text: String, as type: T.Type) -> T? {
        var magnitude: UInt64 = 0
        var negative = false
        var digits = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: "-") && digits == 0 && !negative {
                negative = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            magnitude = sum
            digits += 1
        }
        guard digits > 0 else { return nil }
        if !negative { return T(exactly: magnitude) }
        if magnitude <= UInt64(Int64.max) { return T(exactly: -Int64(magnitude)) }
        return magnitude == UInt64(Int64.max) + 1 ? T(exactly: Int64.min) : nil
    }

    public static func strings(_ value: JSONValue, at path: @autoclosure () -> JSONPath) throws -> [String] {
        guard case .array(let items) = value else { throw mismatch("array", value, path()) }
        var out: [String] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item else { throw mismatch("string", item, path().index(i)) }
            out.append(s)
        }
        return out
    }

    public static func integers<T: FixedWidthInteger>(_ value: JSONValue, _ type: T.Type, at path: @autoclosure () -> JSONPath) throws -> [T] {
        guard case .array(let items) = value else { throw mismatch("array", value, path()) }
        var out: [T] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() { out.append(try integer(item, type, at: path().index(i))) }
        return out
    }

    public static func stringMap(_ value: JSONValue, at path: @autoclosure () -> JSONPath) throws -> [String: String] {
        guard case .object(let members) = value else { throw mismatch("object", value, path()) }
        var out: [String: String] = [:]
        out.reserveCapacity(members.count)
        for m in members {
            guard case .string(let s) = m.value else { throw mismatch("string", m.value, path().key(m.key)) }
            out[m.key] = s
        }
        return out
    }

    public static func models<T: JSONReadable>(_ value: JSONValue, _ type: T.Type, at path: JSONPath) throws -> [T] {
        guard case .array(let items) = value else { throw mismatch("array", value, path) }
        var out: [T] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() { out.append(try T(json: item, at: path.index(i))) }
        return out
    }

    public static func modelMap<T: JSONReadable>(_ value: JSONValue, _ type: T.Type, at path: JSONPath) throws -> [String: T] {
        guard case .object(let members) = value else { throw mismatch("object", value, path) }
        var out: [String: T] = [:]
        out.reserveCapacity(members.count)
        for m in members { out[m.key] = try T(json: m.value, at: path.key(m.key)) }
        return out
    }
}

/// One JSON object's members, read field by field. `x(key)` reads a required field (missing is
/// an error); `optionalX(key)` gives nil for a missing or null member.
public struct JSONObjectReader {
    let members: [(key: String, value: JSONValue)]
    public let path: JSONPath

    public init(_ value: JSONValue, at path: JSONPath) throws {
        guard case .object(let members) = value else { throw JSONRead.mismatch("object", value, path) }
        self.members = members
        self.path = path
    }

    /// The member named `key`: an exact match, else the last ASCII case-insensitive one.
    public func member(_ key: String) -> JSONValue? {
        for m in members where m.key == key { return m.value }
        let length = key.utf8.count
        var found: JSONValue?
        for m in members where m.key.utf8.count == length && asciiCaseInsensitiveEqual(m.key, key) {
            found = m.value
        }
        return found
    }

    func required(_ key: String) throws -> JSONValue {
        guard let value = member(key) else {
            throw JSONDecodeError(path: path.key(key).string, message: "missing required field")
        }
        return value
    }

    func present(_ key: String) -> JSONValue? {
        guard let value = member(key), value != .null else { return nil }
        return value
    }

    public func string(_ key: String) throws -> String {
        try JSONRead.string(try required(key), at: path.key(key))
    }

    public func optionalString(_ key: String) throws -> String? {
        guard let v = present(key) else { return nil }
        return try JSONRead.string(v, at: path.key(key))
    }

    public func bool(_ key: String) throws -> Bool {
        try JSONRead.bool(try required(key), at: path.key(key))
    }

    public func optionalBool(_ key: String) throws -> Bool? {
        guard let v = present(key) else { return nil }
        return try JSONRead.bool(v, at: path.key(key))
    }

    public func integer<T: FixedWidthInteger>(_ key: String, _ type: T.Type) throws -> T {
        try JSONRead.integer(try required(key), type, at: path.key(key))
    }

    public func optionalInteger<T: FixedWidthInteger>(_ key: String, _ type: T.Type) throws -> T? {
        guard let v = present(key) else { return nil }
        return try JSONRead.integer(v, type, at: path.key(key))
    }

    public func strings(_ key: String) throws -> [String] {
        try JSONRead.strings(try required(key), at: path.key(key))
    }

    public func optionalStrings(_ key: String) throws -> [String]? {
        guard let v = present(key) else { return nil }
        return try JSONRead.strings(v, at: path.key(key))
    }

    public func optionalIntegers<T: FixedWidthInteger>(_ key: String, _ type: T.Type) throws -> [T]? {
        guard let v = present(key) else { return nil }
        return try JSONRead.integers(v, type, at: path.key(key))
    }

    public func stringMap(_ key: String) throws -> [String: String] {
        try JSONRead.stringMap(try required(key), at: path.key(key))
    }

    public func optionalStringMap(_ key: String) throws -> [String: String]? {
        guard let v = present(key) else { return nil }
        return try JSONRead.stringMap(v, at: path.key(key))
    }

    public func model<T: JSONReadable>(_ key: String, _ type: T.Type) throws -> T {
        try T(json: try required(key), at: path.key(key))
    }

    public func optionalModel<T: JSONReadable>(_ key: String, _ type: T.Type) throws -> T? {
        guard let v = present(key) else { return nil }
        return try T(json: v, at: path.key(key))
    }

    public func models<T: JSONReadable>(_ key: String, _ type: T.Type) throws -> [T] {
        try JSONRead.models(try required(key), type, at: path.key(key))
    }

    public func optionalModels<T: JSONReadable>(_ key: String, _ type: T.Type) throws -> [T]? {
        guard let v = present(key) else { return nil }
        return try JSONRead.models(v, type, at: path.key(key))
    }

    public func optionalModelMap<T: JSONReadable>(_ key: String, _ type: T.Type) throws -> [String: T]? {
        guard let v = present(key) else { return nil }
        return try JSONRead.modelMap(v, type, at: path.key(key))
    }

    /// The raw member, for fields kept as JSON.
    public func optionalValue(_ key: String) -> JSONValue? { present(key) }
}

extension JSONReadable {
    /// Parses `bytes` and reads the model from the document's root.
    public static func read(fromJSON bytes: [UInt8], maxDepth: Int = JSONParser.defaultMaxDepth) throws -> Self {
        let tree: JSONValue
        do {
            tree = try JSONParser.parse(bytes, maxDepth: maxDepth)
        } catch let error as JSONParseError {
            throw JSONDecodeError(syntax: error)
        }
        return try Self(json: tree, at: .root)
    }
}
