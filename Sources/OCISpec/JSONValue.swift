/// A parsed JSON document, kept faithful to its text: numbers keep their literal spelling so
/// 64-bit integers survive a round trip exactly, and objects keep their members in input order
/// (duplicate keys are collapsed by the parser, last value wins, as Go's encoding/json does).
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number exactly as written in the input (or as produced by the encoder), e.g. "-1",
    /// "18446744073709551615", "0.5", "1e3". Always valid JSON number syntax.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            guard a.count == b.count else { return false }
            for (x, y) in zip(a, b) where x.key != y.key || x.value != y.value { return false }
            return true
        default: return false
        }
    }

    /// What a type-mismatch message calls this value ("expected string, got number").
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// The member `key` of an object (nil for a missing key or a non-object).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for member in members where member.key == key { return member.value }
        return nil
    }

    public init(_ value: Int64) { self = .number(String(value)) }
    public init(_ value: UInt64) { self = .number(String(value)) }
    public init(_ value: Int) { self = .number(String(value)) }
}

extension JSONValue: CustomStringConvertible {
    public var description: String { JSONWriter.string(self) }
}

/// Lets models carry raw JSON (extension fields, hook payloads) through our coders, or any other.
extension JSONValue: Codable {
    public init(from decoder: Decoder) throws {
        if let ours = decoder as? JSONValueDecoder {
            self = ours.value
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { self = .null; return }
        if let b = try? single.decode(Bool.self) { self = .bool(b); return }
        if let i = try? single.decode(Int64.self) { self = JSONValue(i); return }
        if let u = try? single.decode(UInt64.self) { self = JSONValue(u); return }
        if let d = try? single.decode(Double.self) { self = .number(JSONNumberFormat.double(d)); return }
        if let s = try? single.decode(String.self) { self = .string(s); return }
        if let a = try? single.decode([JSONValue].self) { self = .array(a); return }
        let keyed = try decoder.container(keyedBy: AnyCodingKey.self)
        var members: [(key: String, value: JSONValue)] = []
        for key in keyed.allKeys {
            members.append((key.stringValue, try keyed.decode(JSONValue.self, forKey: key)))
        }
        self = .object(members)
    }

    public func encode(to encoder: Encoder) throws {
        if let ours = encoder as? JSONValueEncoder {
            ours.box.setSingle(self)
            return
        }
        switch self {
        case .null:
            var c = encoder.singleValueContainer(); try c.encodeNil()
        case .bool(let b):
            var c = encoder.singleValueContainer(); try c.encode(b)
        case .number(let text):
            var c = encoder.singleValueContainer()
            if let i = Int64(text) { try c.encode(i) } else if let u = UInt64(text) { try c.encode(u) } else { try c.encode(Double(text) ?? 0) }
        case .string(let s):
            var c = encoder.singleValueContainer(); try c.encode(s)
        case .array(let items):
            var c = encoder.unkeyedContainer()
            for item in items { try c.encode(item) }
        case .object(let members):
            var c = encoder.container(keyedBy: AnyCodingKey.self)
            for m in members { try c.encode(m.value, forKey: AnyCodingKey(m.key)) }
        }
    }
}

/// A coding key for arbitrary object members and for array positions.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ string: String) { stringValue = string; intValue = nil }
    init?(stringValue: String) { self.stringValue = stringValue; intValue = nil }
    init?(intValue: Int) { stringValue = String(intValue); self.intValue = intValue }
}

/// An array position in a coding path; rendered as `[N]` in error paths.
struct IndexCodingKey: CodingKey {
    var index: Int
    init(_ index: Int) { self.index = index }
    var stringValue: String { "Index \(index)" }
    var intValue: Int? { index }
    init?(stringValue: String) { return nil }
    init?(intValue: Int) { index = intValue }
}

/// Renders a coding path the way runc users read config.json locations:
/// `linux.namespaces[2].type`, with odd keys quoted: `annotations["io.k8s/x"]`.
public func jsonPathString(_ codingPath: [CodingKey]) -> String {
    var out = ""
    for key in codingPath {
        if let idx = key as? IndexCodingKey {
            out += "[\(idx.index)]"
        } else if isPlainIdentifier(key.stringValue) {
            if !out.isEmpty { out += "." }
            out += key.stringValue
        } else {
            out += "[" + JSONWriter.string(.string(key.stringValue)) + "]"
        }
    }
    return out
}

private func isPlainIdentifier(_ s: String) -> Bool {
    if s.isEmpty { return false }
    for b in s.utf8 {
        let ok = (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || b == 0x5f || b == 0x2d
        if !ok { return false }
    }
    return true
}
