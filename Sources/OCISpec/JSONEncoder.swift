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
        try encodedSlot(value, parentPath: [], key: nil, options: EncodingOptions(userInfo: userInfo)).value
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

/// The coding path is held as (parent path, own key) and joined only when asked for, so
/// encoding leaves allocates no path.
struct JSONValueEncoder: Encoder {
    let box: EncodingBox
    let parentPath: [CodingKey]
    let key: CodingKey?
    let options: EncodingOptions

    var codingPath: [CodingKey] {
        guard let key else { return parentPath }
        return parentPath + [key]
    }

    var userInfo: [CodingUserInfoKey: Any] { options.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        box.becomeObject()
        return KeyedEncodingContainer(JSONKeyedEncodingContainer<Key>(box: box, codingPath: codingPath, options: options))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        box.becomeArray()
        return JSONUnkeyedEncodingContainer(box: box, codingPath: codingPath, options: options)
    }

    func singleValueContainer() -> SingleValueEncodingContainer {
        JSONSingleValueEncodingContainer(encoder: self)
    }
}

/// Shared by every encoder of one encode call.
final class EncodingOptions {
    let userInfo: [CodingUserInfoKey: Any]
    init(userInfo: [CodingUserInfoKey: Any]) { self.userInfo = userInfo }
}

func encodedNumber(_ d: Double, _ path: @autoclosure () -> [CodingKey]) throws -> JSONValue {
    guard d.isFinite else { throw JSONEncodeError(path: jsonPathString(path()), message: "cannot encode \(d) as JSON") }
    return .number(JSONNumberFormat.double(d))
}

func encodedNumber(_ f: Float, _ path: @autoclosure () -> [CodingKey]) throws -> JSONValue {
    guard f.isFinite else { throw JSONEncodeError(path: jsonPathString(path()), message: "cannot encode \(f) as JSON") }
    return .number(JSONNumberFormat.float(f))
}

/// Encodes `value`, found at `key` under `parentPath`; scalars and string lists skip the
/// container machinery.
func encodedSlot<T: Encodable>(_ value: T, parentPath: [CodingKey], key: CodingKey?, options: EncodingOptions) throws -> EncodingSlot {
    if T.self == String.self { return .value(.string(unsafeBitCast(value, to: String.self))) }
    if T.self == [String].self { return .value(.array(unsafeBitCast(value, to: [String].self).map { .string($0) })) }
    if T.self == Bool.self { return .value(.bool(unsafeBitCast(value, to: Bool.self))) }
    if T.self == Int.self { return .value(.number(String(unsafeBitCast(value, to: Int.self)))) }
    if T.self == Int64.self { return .value(.number(String(unsafeBitCast(value, to: Int64.self)))) }
    if T.self == UInt64.self { return .value(.number(String(unsafeBitCast(value, to: UInt64.self)))) }
    if T.self == UInt32.self { return .value(.number(String(unsafeBitCast(value, to: UInt32.self)))) }
    if T.self == Int32.self { return .value(.number(String(unsafeBitCast(value, to: Int32.self)))) }
    if T.self == JSONValue.self { return .value(unsafeBitCast(value, to: JSONValue.self)) }
    func path() -> [CodingKey] { key.map { parentPath + [$0] } ?? parentPath }
    if T.self == Double.self { return .value(try encodedNumber(unsafeBitCast(value, to: Double.self), path())) }
    if T.self == Float.self { return .value(try encodedNumber(unsafeBitCast(value, to: Float.self), path())) }
    let b = EncodingBox()
    let encoder = JSONValueEncoder(box: b, parentPath: parentPath, key: key, options: options)
    // The cast costs a scan of every conformance in the binary the first time a type is
    // seen; only a Dictionary can pass it, and a Dictionary is one reference wide.
    if MemoryLayout<T>.size == MemoryLayout<[String: Int]>.size, let dictionary = value as? SortedKeysEncodable {
        try dictionary.encodeSorted(to: encoder)
    } else {
        try value.encode(to: encoder)
    }
    return .box(b)
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
    let box: EncodingBox
    let codingPath: [CodingKey]
    let options: EncodingOptions

    private func put(_ value: JSONValue, _ key: Key) { box.set(.value(value), forKey: key.stringValue) }

    private func child(_ key: CodingKey, _ name: String) -> JSONValueEncoder {
        JSONValueEncoder(box: box.box(forKey: name), parentPath: codingPath, key: key, options: options)
    }

    mutating func encodeNil(forKey key: Key) throws { put(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { put(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { put(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { put(try encodedNumber(value, codingPath + [key]), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { put(try encodedNumber(value, codingPath + [key]), key) }
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
        box.set(try encodedSlot(value, parentPath: codingPath, key: key, options: options), forKey: key.stringValue)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        child(key, key.stringValue).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
        child(key, key.stringValue).unkeyedContainer()
    }

    mutating func superEncoder() -> Encoder {
        child(AnyCodingKey("super"), "super")
    }

    mutating func superEncoder(forKey key: Key) -> Encoder {
        child(key, key.stringValue)
    }
}

struct JSONUnkeyedEncodingContainer: UnkeyedEncodingContainer {
    let box: EncodingBox
    let codingPath: [CodingKey]
    let options: EncodingOptions
    var count: Int { box.count }

    private var nextPath: [CodingKey] { codingPath + [IndexCodingKey(count)] }
    private func put(_ value: JSONValue) { box.append(.value(value)) }

    mutating func encodeNil() throws { put(.null) }
    mutating func encode(_ value: Bool) throws { put(.bool(value)) }
    mutating func encode(_ value: String) throws { put(.string(value)) }
    mutating func encode(_ value: Double) throws { put(try encodedNumber(value, nextPath)) }
    mutating func encode(_ value: Float) throws { put(try encodedNumber(value, nextPath)) }
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
        box.append(try encodedSlot(value, parentPath: codingPath, key: IndexCodingKey(count), options: options))
    }

    private mutating func openChild() -> JSONValueEncoder {
        let key = IndexCodingKey(count)
        let b = EncodingBox()
        box.append(.box(b))
        return JSONValueEncoder(box: b, parentPath: codingPath, key: key, options: options)
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
    mutating func encode(_ value: Double) throws { put(try encodedNumber(value, codingPath)) }
    mutating func encode(_ value: Float) throws { put(try encodedNumber(value, codingPath)) }
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
        switch try encodedSlot(value, parentPath: encoder.parentPath, key: encoder.key, options: encoder.options) {
        case .value(let v): put(v)
        case .box(let b): put(b.value)
        }
    }
}
