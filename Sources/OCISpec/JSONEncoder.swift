/// An `Encodable` value that cannot be written as JSON (NaN, infinity), located by JSON path.
public struct JSONEncodeError: Error, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Encodes models as JSON the way runc's Go code does: members in the order the model encodes
/// them (our models list fields in spec order, like Go structs), nil optionals omitted,
/// `[String: X]` dictionaries with sorted keys (Go sorts map keys), `/` not escaped.
public struct SpecEncoder {
    /// nil for compact output; "\t" matches runc's `spec` output.
    public var indent: String?
    public var userInfo: [CodingUserInfoKey: Any] = [:]

    public init(indent: String? = nil) { self.indent = indent }

    public func encodeValue<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONValueEncoder(box: EncodingBox(), codingPath: [], userInfo: userInfo).slot(for: value).value
    }

    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        JSONWriter.bytes(try encodeValue(value), indent: indent)
    }

    public func encodeString<T: Encodable>(_ value: T) throws -> String {
        JSONWriter.string(try encodeValue(value), indent: indent)
    }
}

public func encodeJSON<T: Encodable>(_ value: T, indent: String? = nil) throws -> String {
    try SpecEncoder(indent: indent).encodeString(value)
}

/// A member or element under construction: a finished scalar, or a container still open to
/// further encoding (nested containers and superEncoders write into it later).
enum EncodingSlot {
    case value(JSONValue)
    case box(EncodingBox)

    var value: JSONValue {
        switch self {
        case .value(let v): return v
        case .box(let b): return b.value
        }
    }
}

final class EncodingBox {
    enum Kind { case empty, single, object, array }
    private(set) var kind = Kind.empty
    private var single: JSONValue = .null
    private var keys: [String] = []
    private var slots: [EncodingSlot] = []
    private var positions: [String: Int] = [:]

    func setSingle(_ value: JSONValue) {
        kind = .single
        single = value
    }

    func becomeObject() {
        guard kind != .object else { return }
        kind = .object
        keys = []
        slots = []
    }

    func becomeArray() {
        guard kind != .array else { return }
        kind = .array
        slots = []
    }

    /// Encoding a key twice replaces its value in place, keeping its first position.
    func set(_ slot: EncodingSlot, forKey key: String) {
        if let i = position(of: key) {
            slots[i] = slot
        } else {
            if keys.count >= 16 {
                if positions.isEmpty { for (i, k) in keys.enumerated() { positions[k] = i } }
                positions[key] = keys.count
            }
            keys.append(key)
            slots.append(slot)
        }
    }

    func append(_ slot: EncodingSlot) { slots.append(slot) }

    var count: Int { slots.count }

    /// The open container at `key`, created if missing or if a scalar sits there.
    func box(forKey key: String) -> EncodingBox {
        if let i = position(of: key), case .box(let b) = slots[i] { return b }
        let b = EncodingBox()
        set(.box(b), forKey: key)
        return b
    }

    private func position(of key: String) -> Int? {
        if !positions.isEmpty { return positions[key] }
        return keys.firstIndex(of: key)
    }

    var value: JSONValue {
        switch kind {
        case .empty: return .object([])
        case .single: return single
        case .array: return .array(slots.map(\.value))
        case .object:
            var members: [(key: String, value: JSONValue)] = []
            members.reserveCapacity(keys.count)
            for (k, s) in zip(keys, slots) { members.append((k, s.value)) }
            return .object(members)
        }
    }
}

struct JSONValueEncoder: Encoder {
    let box: EncodingBox
    let codingPath: [CodingKey]
    let userInfo: [CodingUserInfoKey: Any]

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        box.becomeObject()
        return KeyedEncodingContainer(JSONKeyedEncodingContainer<Key>(encoder: self))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        box.becomeArray()
        return JSONUnkeyedEncodingContainer(encoder: self)
    }

    func singleValueContainer() -> SingleValueEncodingContainer {
        JSONSingleValueEncodingContainer(encoder: self)
    }

    func child(_ box: EncodingBox, _ key: CodingKey) -> JSONValueEncoder {
        JSONValueEncoder(box: box, codingPath: codingPath + [key], userInfo: userInfo)
    }

    func number(_ d: Double, _ path: [CodingKey]) throws -> JSONValue {
        guard d.isFinite else { throw JSONEncodeError(path: jsonPathString(path), message: "cannot encode \(d) as JSON") }
        return .number(JSONNumberFormat.double(d))
    }

    func number(_ f: Float, _ path: [CodingKey]) throws -> JSONValue {
        guard f.isFinite else { throw JSONEncodeError(path: jsonPathString(path), message: "cannot encode \(f) as JSON") }
        return .number(JSONNumberFormat.float(f))
    }

    /// Encodes `value` found at `path`; scalars skip the container machinery.
    func slot<T: Encodable>(for value: T, at path: [CodingKey]? = nil) throws -> EncodingSlot {
        if let s = value as? String { return .value(.string(s)) }
        if let b = value as? Bool { return .value(.bool(b)) }
        if let i = value as? Int { return .value(.number(String(i))) }
        if let i = value as? Int64 { return .value(.number(String(i))) }
        if let i = value as? UInt64 { return .value(.number(String(i))) }
        if let i = value as? UInt32 { return .value(.number(String(i))) }
        if let i = value as? Int32 { return .value(.number(String(i))) }
        if let v = value as? JSONValue { return .value(v) }
        let path = path ?? codingPath
        if let d = value as? Double { return .value(try number(d, path)) }
        if let f = value as? Float { return .value(try number(f, path)) }
        let b = EncodingBox()
        let encoder = JSONValueEncoder(box: b, codingPath: path, userInfo: userInfo)
        if let dictionary = value as? SortedKeysEncodable {
            try dictionary.encodeSorted(to: encoder)
        } else {
            try value.encode(to: encoder)
        }
        return .box(b)
    }
}

/// Swift dictionaries iterate in hash order; Go writes map keys sorted by bytes. Match Go so
/// annotations and the like come out stable and identical to runc's.
protocol SortedKeysEncodable {
    func encodeSorted(to encoder: JSONValueEncoder) throws
}

extension Dictionary: SortedKeysEncodable where Key == String, Value: Encodable {
    func encodeSorted(to encoder: JSONValueEncoder) throws {
        var container = encoder.container(keyedBy: AnyCodingKey.self)
        for key in keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            try container.encode(self[key]!, forKey: AnyCodingKey(key))
        }
    }
}

struct JSONKeyedEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: JSONValueEncoder
    var codingPath: [CodingKey] { encoder.codingPath }

    private func put(_ value: JSONValue, _ key: Key) { encoder.box.set(.value(value), forKey: key.stringValue) }

    mutating func encodeNil(forKey key: Key) throws { put(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { put(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { put(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { put(try encoder.number(value, codingPath + [key]), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { put(try encoder.number(value, codingPath + [key]), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { put(.number(String(value)), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { put(.number(String(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { put(.number(String(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { put(.number(String(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { put(.number(String(value)), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { put(.number(String(value)), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { put(.number(String(value)), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { put(.number(String(value)), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { put(.number(String(value)), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { put(.number(String(value)), key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        encoder.box.set(try encoder.slot(for: value, at: codingPath + [key]), forKey: key.stringValue)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        encoder.child(encoder.box.box(forKey: key.stringValue), key).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
        encoder.child(encoder.box.box(forKey: key.stringValue), key).unkeyedContainer()
    }

    mutating func superEncoder() -> Encoder {
        encoder.child(encoder.box.box(forKey: "super"), AnyCodingKey("super"))
    }

    mutating func superEncoder(forKey key: Key) -> Encoder {
        encoder.child(encoder.box.box(forKey: key.stringValue), key)
    }
}

struct JSONUnkeyedEncodingContainer: UnkeyedEncodingContainer {
    let encoder: JSONValueEncoder
    var codingPath: [CodingKey] { encoder.codingPath }
    var count: Int { encoder.box.count }

    private var nextPath: [CodingKey] { codingPath + [IndexCodingKey(count)] }
    private func put(_ value: JSONValue) { encoder.box.append(.value(value)) }

    mutating func encodeNil() throws { put(.null) }
    mutating func encode(_ value: Bool) throws { put(.bool(value)) }
    mutating func encode(_ value: String) throws { put(.string(value)) }
    mutating func encode(_ value: Double) throws { put(try encoder.number(value, nextPath)) }
    mutating func encode(_ value: Float) throws { put(try encoder.number(value, nextPath)) }
    mutating func encode(_ value: Int) throws { put(.number(String(value))) }
    mutating func encode(_ value: Int8) throws { put(.number(String(value))) }
    mutating func encode(_ value: Int16) throws { put(.number(String(value))) }
    mutating func encode(_ value: Int32) throws { put(.number(String(value))) }
    mutating func encode(_ value: Int64) throws { put(.number(String(value))) }
    mutating func encode(_ value: UInt) throws { put(.number(String(value))) }
    mutating func encode(_ value: UInt8) throws { put(.number(String(value))) }
    mutating func encode(_ value: UInt16) throws { put(.number(String(value))) }
    mutating func encode(_ value: UInt32) throws { put(.number(String(value))) }
    mutating func encode(_ value: UInt64) throws { put(.number(String(value))) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        encoder.box.append(try encoder.slot(for: value, at: nextPath))
    }

    private mutating func openChild() -> JSONValueEncoder {
        let key = IndexCodingKey(count)
        let b = EncodingBox()
        encoder.box.append(.box(b))
        return encoder.child(b, key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        openChild().container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer { openChild().unkeyedContainer() }
    mutating func superEncoder() -> Encoder { openChild() }
}

struct JSONSingleValueEncodingContainer: SingleValueEncodingContainer {
    let encoder: JSONValueEncoder
    var codingPath: [CodingKey] { encoder.codingPath }

    private func put(_ value: JSONValue) { encoder.box.setSingle(value) }

    mutating func encodeNil() throws { put(.null) }
    mutating func encode(_ value: Bool) throws { put(.bool(value)) }
    mutating func encode(_ value: String) throws { put(.string(value)) }
    mutating func encode(_ value: Double) throws { put(try encoder.number(value, codingPath)) }
    mutating func encode(_ value: Float) throws { put(try encoder.number(value, codingPath)) }
    mutating func encode(_ value: Int) throws { put(.number(String(value))) }
    mutating func encode(_ value: Int8) throws { put(.number(String(value))) }
    mutating func encode(_ value: Int16) throws { put(.number(String(value))) }
    mutating func encode(_ value: Int32) throws { put(.number(String(value))) }
    mutating func encode(_ value: Int64) throws { put(.number(String(value))) }
    mutating func encode(_ value: UInt) throws { put(.number(String(value))) }
    mutating func encode(_ value: UInt8) throws { put(.number(String(value))) }
    mutating func encode(_ value: UInt16) throws { put(.number(String(value))) }
    mutating func encode(_ value: UInt32) throws { put(.number(String(value))) }
    mutating func encode(_ value: UInt64) throws { put(.number(String(value))) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        switch try encoder.slot(for: value) {
        case .value(let v): put(v)
        case .box(let b): put(b.value)
        }
    }
}
