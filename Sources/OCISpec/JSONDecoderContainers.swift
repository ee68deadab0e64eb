/// Swift's `Decoder` over a parsed `JSONValue`. Errors are `JSONDecodeError`s carrying the
/// coding path; integer widths are range-checked against the literal number text.
///
/// The coding path is held as (parent path, own key) and only joined when asked for, so
/// decoding a leaf (most of config.json) allocates no path at all.
struct JSONValueDecoder: Decoder {
    let value: JSONValue
    let parentPath: [CodingKey]
    let key: CodingKey?
    let options: DecodingOptions

    var codingPath: [CodingKey] {
        guard let key else { return parentPath }
        return parentPath + [key]
    }

    var userInfo: [CodingUserInfoKey: Any] { options.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw mismatch("object", value, codingPath) }
        return KeyedDecodingContainer(JSONKeyedContainer<Key>(members: members, path: codingPath, options: options))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard case .array(let items) = value else { throw mismatch("array", value, codingPath) }
        return JSONUnkeyedContainer(items: items, path: codingPath, options: options)
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer {
        JSONSingleValueContainer(decoder: self)
    }

    /// Decodes this decoder's value as `T`, taking the scalar shortcuts without building
    /// containers (most config.json leaves are strings, numbers, booleans and string lists).
    func unbox<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == String.self { return unsafeBitCast(try unboxString(), to: T.self) }
        if T.self == [String].self { return unsafeBitCast(try unboxStrings(), to: T.self) }
        if T.self == Bool.self { return unsafeBitCast(try unboxBool(), to: T.self) }
        if T.self == Int.self { return unsafeBitCast(try unboxInteger(Int.self), to: T.self) }
        if T.self == Int64.self { return unsafeBitCast(try unboxInteger(Int64.self), to: T.self) }
        if T.self == UInt32.self { return unsafeBitCast(try unboxInteger(UInt32.self), to: T.self) }
        if T.self == UInt64.self { return unsafeBitCast(try unboxInteger(UInt64.self), to: T.self) }
        if T.self == Int32.self { return unsafeBitCast(try unboxInteger(Int32.self), to: T.self) }
        if T.self == [String: String].self { return unsafeBitCast(try unboxStringMap(), to: T.self) }
        if T.self == JSONValue.self { return unsafeBitCast(value, to: T.self) }
        return try T(from: self)
    }

    func unboxStrings() throws -> [String] {
        guard case .array(let items) = value else { throw mismatch("array", value, codingPath) }
        var out: [String] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item else { throw mismatch("string", item, codingPath + [IndexCodingKey(i)]) }
            out.append(s)
        }
        return out
    }

    func unboxStringMap() throws -> [String: String] {
        guard case .object(let members) = value else { throw mismatch("object", value, codingPath) }
        var out: [String: String] = [:]
        out.reserveCapacity(members.count)
        for m in members {
            guard case .string(let s) = m.value else { throw mismatch("string", m.value, codingPath + [AnyCodingKey(m.key)]) }
            out[m.key] = s
        }
        return out
    }

    func unboxString() throws -> String {
        guard case .string(let s) = value else { throw mismatch("string", value, codingPath) }
        return s
    }

    func unboxBool() throws -> Bool {
        guard case .bool(let b) = value else { throw mismatch("boolean", value, codingPath) }
        return b
    }

    func unboxInteger<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard case .number(let text) = value else { throw mismatch("integer", value, codingPath) }
        if let n = T(text) { return n }
        let integral = text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }
        let message = integral
            ? "number \(text) out of range for \(T.self) (\(T.min)...\(T.max))"
            : "expected integer, got \(text)"
        throw JSONDecodeError(codingPath: codingPath, message: message)
    }

    func unboxDouble() throws -> Double {
        guard case .number(let text) = value else { throw mismatch("number", value, codingPath) }
        guard let d = Double(text), d.isFinite else {
            throw JSONDecodeError(codingPath: codingPath, message: "number \(text) out of range for Double")
        }
        return d
    }

    func unboxFloat() throws -> Float {
        guard case .number(let text) = value else { throw mismatch("number", value, codingPath) }
        guard let f = Float(text), f.isFinite else {
            throw JSONDecodeError(codingPath: codingPath, message: "number \(text) out of range for Float")
        }
        return f
    }
}

func asciiCaseInsensitiveEqual(_ a: String, _ b: String) -> Bool {
    func fold(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5a ? c | 0x20 : c }
    return a.utf8.elementsEqual(b.utf8) { fold($0) == fold($1) }
}

/// At the document's root there is no path to print, so the message says where instead.
func mismatch(_ expected: String, _ got: JSONValue, _ path: [CodingKey]) -> JSONDecodeError {
    let place = path.isEmpty ? " at the top level" : ""
    return JSONDecodeError(codingPath: path, message: "expected \(expected)\(place), got \(got.kindName)")
}

/// Shared by every decoder of one decode call; a class so copying a decoder stays one retain.
final class DecodingOptions {
    let userInfo: [CodingUserInfoKey: Any]
    init(userInfo: [CodingUserInfoKey: Any]) { self.userInfo = userInfo }
}

struct JSONKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [(key: String, value: JSONValue)]
    let codingPath: [CodingKey]
    let options: DecodingOptions
    /// Built only for large objects (annotations, sysctl): Dictionary decoding looks up every
    /// key, which would be quadratic with a linear scan. Small structs scan faster than hashing.
    let positions: [String: Int]?

    init(members: [(key: String, value: JSONValue)], path: [CodingKey], options: DecodingOptions) {
        self.members = members
        self.codingPath = path
        self.options = options
        if members.count > 16 {
            var positions: [String: Int] = [:]
            positions.reserveCapacity(members.count)
            for (i, m) in members.enumerated() { positions[m.key] = i }
            self.positions = positions
        } else {
            positions = nil
        }
    }

    var allKeys: [Key] { members.compactMap { Key(stringValue: $0.key) } }

    private func find(_ key: Key) -> JSONValue? {
        let name = key.stringValue
        if let positions {
            if let i = positions[name] { return members[i].value }
        } else {
            for m in members where m.key == name { return m.value }
        }
        return findIgnoringCase(name)
    }

    /// Go's encoding/json (runc) also matches keys case-insensitively ("Type" fills `type`),
    /// the last such key winning. An exact match is preferred, which also keeps dictionary
    /// keys ("a" and "A" in annotations) apart.
    private func findIgnoringCase(_ name: String) -> JSONValue? {
        let length = name.utf8.count
        var found: JSONValue?
        for m in members where m.key.utf8.count == length && asciiCaseInsensitiveEqual(m.key, name) {
            found = m.value
        }
        return found
    }

    private func child(_ key: Key) throws -> JSONValueDecoder {
        guard let value = find(key) else {
            throw JSONDecodeError(codingPath: codingPath + [key], message: "missing required field")
        }
        return child(value, key)
    }

    private func child(_ value: JSONValue, _ key: CodingKey) -> JSONValueDecoder {
        JSONValueDecoder(value: value, parentPath: codingPath, key: key, options: options)
    }

    func contains(_ key: Key) -> Bool { find(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let value = find(key) else { return true }
        return value == .null
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try child(key).unboxBool() }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try child(key).unboxString() }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try child(key).unboxDouble() }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try child(key).unboxFloat() }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try child(key).unboxInteger(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try child(key).unboxInteger(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try child(key).unboxInteger(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try child(key).unboxInteger(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try child(key).unboxInteger(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try child(key).unboxInteger(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try child(key).unboxInteger(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try child(key).unboxInteger(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try child(key).unboxInteger(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try child(key).unboxInteger(type) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try child(key).unbox(type) }

    // The protocol's default decodeIfPresent already maps absent and null to nil; these
    // overrides only skip a second lookup on the hot path.
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
        guard let value = find(key), value != .null else { return nil }
        return try child(value, key).unboxString()
    }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? {
        guard let value = find(key), value != .null else { return nil }
        return try child(value, key).unboxBool()
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let value = find(key), value != .null else { return nil }
        return try child(value, key).unbox(type)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try child(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
        try child(key).unkeyedContainer()
    }

    func superDecoder() throws -> Decoder {
        let key = AnyCodingKey("super")
        return child(members.first { $0.key == "super" }?.value ?? .null, key)
    }

    func superDecoder(forKey key: Key) throws -> Decoder {
        child(find(key) ?? .null, key)
    }
}

struct JSONUnkeyedContainer: UnkeyedDecodingContainer {
    let items: [JSONValue]
    let codingPath: [CodingKey]
    let options: DecodingOptions
    private(set) var currentIndex = 0

    init(items: [JSONValue], path: [CodingKey], options: DecodingOptions) {
        self.items = items
        self.codingPath = path
        self.options = options
    }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private mutating func next() throws -> JSONValueDecoder {
        let key = IndexCodingKey(currentIndex)
        guard !isAtEnd else {
            throw JSONDecodeError(codingPath: codingPath + [key], message: "array has only \(items.count) elements")
        }
        currentIndex += 1
        return JSONValueDecoder(value: items[key.index], parentPath: codingPath, key: key, options: options)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try next().unboxBool() }
    mutating func decode(_ type: String.Type) throws -> String { try next().unboxString() }
    mutating func decode(_ type: Double.Type) throws -> Double { try next().unboxDouble() }
    mutating func decode(_ type: Float.Type) throws -> Float { try next().unboxFloat() }
    mutating func decode(_ type: Int.Type) throws -> Int { try next().unboxInteger(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next().unboxInteger(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next().unboxInteger(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next().unboxInteger(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next().unboxInteger(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next().unboxInteger(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next().unboxInteger(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next().unboxInteger(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next().unboxInteger(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next().unboxInteger(type) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().unbox(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
        try next().unkeyedContainer()
    }

    mutating func superDecoder() throws -> Decoder { try next() }
}

struct JSONSingleValueContainer: SingleValueDecodingContainer {
    let decoder: JSONValueDecoder
    var codingPath: [CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { decoder.value == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try decoder.unboxBool() }
    func decode(_ type: String.Type) throws -> String { try decoder.unboxString() }
    func decode(_ type: Double.Type) throws -> Double { try decoder.unboxDouble() }
    func decode(_ type: Float.Type) throws -> Float { try decoder.unboxFloat() }
    func decode(_ type: Int.Type) throws -> Int { try decoder.unboxInteger(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decoder.unboxInteger(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decoder.unboxInteger(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decoder.unboxInteger(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decoder.unboxInteger(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try decoder.unboxInteger(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decoder.unboxInteger(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decoder.unboxInteger(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decoder.unboxInteger(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decoder.unboxInteger(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.unbox(type) }
}
