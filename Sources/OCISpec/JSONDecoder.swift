import Glibc

/// A config.json problem, located by its JSON path in the dotted form runc users know:
/// `linux.namespaces[2].type: expected string, got number`. Syntax errors have an empty path and
/// carry the line/column in `syntax`; I/O errors have an empty path and name the file.
public struct JSONDecodeError: Error, CustomStringConvertible {
    public var path: String
    public var message: String
    public var syntax: JSONParseError?

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public init(codingPath: [CodingKey], message: String) {
        self.init(path: jsonPathString(codingPath), message: message)
    }

    init(syntax: JSONParseError) {
        self.init(path: "", message: syntax.description)
        self.syntax = syntax
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Decodes `Decodable` models from JSON text (through yajl) or from a `JSONValue`.
/// Unknown keys are ignored and `null` counts as absent for optionals, as in Go's encoding/json.
/// Every error thrown is a `JSONDecodeError`.
public struct SpecDecoder {
    public var userInfo: [CodingUserInfoKey: Any] = [:]
    public var maxDepth = JSONParser.defaultMaxDepth

    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try decode(type, from: try parse(bytes))
    }

    /// The document's tree; a syntax error is a `JSONDecodeError` saying where.
    public func parse(_ bytes: [UInt8]) throws -> JSONValue {
        do {
            return try JSONParser.parse(bytes, maxDepth: maxDepth)
        } catch let error as JSONParseError {
            throw JSONDecodeError(syntax: error)
        }
    }

    public func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try decode(type, from: Array(text.utf8))
    }

    public func decode<T: Decodable>(_ type: T.Type, fromFile path: String) throws -> T {
        try decode(type, from: readWholeFile(path))
    }

    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        do {
            return try JSONValueDecoder(value: value, parentPath: [], key: nil, options: DecodingOptions(userInfo: userInfo)).unbox(type)
        } catch let error as JSONDecodeError {
            throw error
        } catch let error as DecodingError {
            throw JSONDecodeError(error)
        }
    }
}

public func decodeJSON<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
    try SpecDecoder().decode(type, from: bytes)
}

public func decodeJSON<T: Decodable>(_ type: T.Type, fromFile path: String) throws -> T {
    try SpecDecoder().decode(type, fromFile: path)
}

extension JSONDecodeError {
    /// Model code may throw Swift's own `DecodingError` (e.g. a RawRepresentable enum meeting
    /// an unknown string); give it the same path form as ours.
    init(_ error: DecodingError) {
        switch error {
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
            self.init(codingPath: context.codingPath, message: context.debugDescription)
        case let .keyNotFound(key, context):
            self.init(codingPath: context.codingPath + [key], message: "missing required field")
        @unknown default:
            self.init(path: "", message: "\(error)")
        }
    }
}

/// Reads a whole file with plain syscalls; errors read like Go's `open /x/config.json: ...`.
func readWholeFile(_ path: String) throws -> [UInt8] {
    func failure(_ op: String, _ err: Int32) -> JSONDecodeError {
        JSONDecodeError(path: "", message: "\(op) \(path): \(String(cString: strerror(err)))")
    }
    var fd: Int32
    repeat { fd = open(path, O_RDONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
    guard fd >= 0 else { throw failure("open", errno) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw failure("stat", errno) }
    // One byte past the reported size, so a regular file ends in a single short read;
    // /proc files report 0 and grow as they go.
    var bytes = [UInt8](repeating: 0, count: max(Int(info.st_size) + 1, 4096))
    var used = 0
    while true {
        if used == bytes.count { bytes.append(contentsOf: repeatElement(0, count: bytes.count)) }
        let n = bytes.withUnsafeMutableBytes { buf in
            read(fd, buf.baseAddress! + used, buf.count - used)
        }
        if n < 0 {
            if errno == EINTR { continue }
            throw failure("read", errno)
        }
        if n == 0 { break }
        used += n
    }
    bytes.removeSubrange(used...)
    return bytes
}
