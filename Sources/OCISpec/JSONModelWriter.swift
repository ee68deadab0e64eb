// Hand-written encoding of the models written on the hot path (state.json, init's bootstrap),
// the counterpart of JSONModelReader.swift. Output matches SpecEncoder's: members in the
// order they are added (declaration order), nil optionals left out, `[String: X]` members
// with keys sorted by bytes, as Go writes maps.

/// A model that writes itself as a JSON value.
public protocol JSONWritable {
    var json: JSONValue { get }
}

/// Builds one JSON object member by member.
public struct JSONObjectBuilder {
    public private(set) var members: [(key: String, value: JSONValue)] = []

    public init() {}

    public var value: JSONValue { .object(members) }

    public mutating func add(_ key: String, _ value: JSONValue?) {
        if let value { append(key, value) }
    }

    /// For the generic adds below, which are @inlinable so that callers in other modules
    /// specialize them: unspecialized, their map over an array of models looked up its
    /// associated types at run time.
    @usableFromInline
    mutating func append(_ key: String, _ value: JSONValue) {
        members.append((key, value))
    }

    public mutating func add(_ key: String, _ value: String?) {
        if let value { members.append((key, .string(value))) }
    }

    public mutating func add(_ key: String, _ value: Bool?) {
        if let value { members.append((key, .bool(value))) }
    }

    // `description`, not String(value): called from other modules these run unspecialized, and
    // the generic String(_:) formats through BinaryInteger's generic code, where description
    // goes straight to the concrete type's own.
    @inlinable
    public mutating func add<T: FixedWidthInteger>(_ key: String, _ value: T?) {
        if let value { append(key, .number(value.description)) }
    }

    public mutating func add(_ key: String, _ value: [String]?) {
        if let value { members.append((key, .array(value.map { .string($0) }))) }
    }

    @inlinable
    public mutating func add<T: FixedWidthInteger>(_ key: String, _ value: [T]?) {
        if let value { append(key, .array(value.map { .number($0.description) })) }
    }

    public mutating func add(_ key: String, _ value: [String: String]?) {
        if let value { members.append((key, JSONObjectBuilder.sorted(value) { .string($0) })) }
    }

    @inlinable
    public mutating func add<T: JSONWritable>(_ key: String, _ value: T?) {
        if let value { append(key, value.json) }
    }

    @inlinable
    public mutating func add<T: JSONWritable>(_ key: String, _ value: [T]?) {
        // A closure, not \.json: a key path is built by the runtime on first use.
        if let value { append(key, .array(value.map { $0.json })) }
    }

    public mutating func add<T: JSONWritable>(_ key: String, _ value: [String: T]?) {
        if let value { members.append((key, JSONObjectBuilder.sorted(value) { $0.json })) }
    }

    static func sorted<V>(_ map: [String: V], _ convert: (V) -> JSONValue) -> JSONValue {
        let keys = map.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return .object(keys.map { (key: $0, value: convert(map[$0]!)) })
    }
}
