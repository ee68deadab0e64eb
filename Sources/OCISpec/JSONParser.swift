import CYajl

/// A syntax error in a JSON text, located the way an editor would: 1-based line and column
/// (in bytes) plus the 0-based byte offset where yajl stopped.
public struct JSONParseError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var offset: Int
    public var line: Int
    public var column: Int

    public var description: String {
        "invalid JSON at line \(line), column \(column) (byte \(offset)): \(message)"
    }
}

/// Parses JSON text into a `JSONValue` with yajl's event API. The tree is built on an explicit
/// stack (no recursion), and nesting is bounded so hostile input cannot exhaust the stack of
/// the recursive consumers (decoder, writer, `==`).
public enum JSONParser {
    public static let defaultMaxDepth = 512

    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws -> JSONValue {
        try bytes.withUnsafeBytes { try parse($0, maxDepth: maxDepth) }
    }

    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws -> JSONValue {
        var text = text
        return try text.withUTF8 { try parse(UnsafeRawBufferPointer($0), maxDepth: maxDepth) }
    }

    public static func parse(_ buffer: UnsafeRawBufferPointer, maxDepth: Int = defaultMaxDepth) throws -> JSONValue {
        // The builder lives behind a raw pointer rather than in a class: callbacks then touch
        // plain memory, without the dynamic exclusivity checks class properties pay for.
        let state = UnsafeMutablePointer<TreeBuilder>.allocate(capacity: 1)
        state.initialize(to: TreeBuilder(maxDepth: maxDepth))
        defer { state.deinitialize(count: 1); state.deallocate() }
        let context = UnsafeMutableRawPointer(state)
        // yajl copies nothing from the callbacks table after alloc, but keep it alive anyway.
        return try withUnsafePointer(to: treeCallbacks) { callbacks -> JSONValue in
            guard let handle = yajl_alloc(callbacks, nil, context) else {
                throw JSONParseError(message: "cannot allocate JSON parser", offset: 0, line: 1, column: 1)
            }
            defer { yajl_free(handle) }
            // Defaults are what we want: no comments, no trailing garbage, and yajl's own (lax)
            // UTF-8 check, which TreeBuilder tightens.
            let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
            state.pointee.handle = handle
            state.pointee.input = UnsafeBufferPointer(start: base, count: buffer.count)
            var status = yajl_parse(handle, base, buffer.count)
            var atEnd = false
            if status == yajl_status_ok {
                status = yajl_complete_parse(handle)
                atEnd = true
            }
            if status != yajl_status_ok {
                let offset = state.pointee.failureOffset
                    ?? (atEnd ? buffer.count : min(Int(yajl_get_bytes_consumed(handle)), buffer.count))
                var message = state.pointee.failure ?? yajlMessage(handle, base, buffer.count)
                if message == "premature EOF" && isBlank(buffer) { message = "empty input" }
                throw locate(message, offset: offset, in: buffer)
            }
            guard let root = state.pointee.root else {
                throw locate("empty input", offset: buffer.count, in: buffer)
            }
            return root
        }
    }

    private static func yajlMessage(_ handle: yajl_handle, _ text: UnsafePointer<UInt8>?, _ count: Int) -> String {
        guard let raw = yajl_get_error(handle, 0, text, count) else { return "parse error" }
        defer { yajl_free_error(handle, raw) }
        var message = String(cString: raw)
        if message.hasPrefix("parse error: ") { message.removeFirst("parse error: ".count) }
        if message.hasPrefix("lexical error: ") { message.removeFirst("lexical error: ".count) }
        while let last = message.last, last == "\n" || last == " " || last == "." { message.removeLast() }
        return message
    }

    private static func isBlank(_ buffer: UnsafeRawBufferPointer) -> Bool {
        buffer.allSatisfy { $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }
    }

    private static func locate(_ message: String, offset: Int, in buffer: UnsafeRawBufferPointer) -> JSONParseError {
        var line = 1
        var column = 1
        for byte in buffer.prefix(offset) {
            if byte == 0x0a { line += 1; column = 1 } else { column += 1 }
        }
        return JSONParseError(message: message, offset: offset, line: line, column: column)
    }
}

/// One open array or object while parsing: where its values (and keys) start on the shared
/// stacks. Children accumulate there and are copied out once, at exact size, when it closes.
private struct OpenContainer {
    var isObject: Bool
    var valueStart: Int
    var keyStart: Int
}

private struct TreeBuilder {
    let maxDepth: Int
    var stack: [OpenContainer] = []
    var values: [JSONValue] = []
    var keys: [String] = []
    var root: JSONValue?
    var failure: String?
    var failureOffset: Int?
    var handle: yajl_handle?
    var input = UnsafeBufferPointer<UInt8>(start: nil, count: 0)

    init(maxDepth: Int) { self.maxDepth = maxDepth }

    mutating func add(_ value: JSONValue) -> Int32 {
        if stack.isEmpty {
            root = value
        } else {
            values.append(value)
        }
        return 1
    }

    mutating func open(object: Bool) -> Int32 {
        guard stack.count < maxDepth else {
            failure = "nesting deeper than \(maxDepth) levels"
            return 0
        }
        stack.append(OpenContainer(isObject: object, valueStart: values.count, keyStart: keys.count))
        return 1
    }

    mutating func string(_ p: UnsafePointer<UInt8>?, _ n: Int) -> Int32 {
        guard let s = text(p, n) else { return 0 }
        return add(.string(s))
    }

    mutating func key(_ p: UnsafePointer<UInt8>?, _ n: Int) -> Int32 {
        guard let key = text(p, n) else { return 0 }
        keys.append(key)
        return 1
    }

    /// A string token as a Swift String, strictly validated: yajl lets overlong forms,
    /// encoded surrogates and code points past U+10FFFF through, and mangles lone `\u`
    /// surrogate escapes (a lone high one becomes `?`, a high one before a non-surrogate
    /// escape is merged into a bogus code point). Escaped tokens are therefore decoded again
    /// from the input, lone surrogates becoming U+FFFD as in Go.
    mutating func text(_ p: UnsafePointer<UInt8>?, _ n: Int) -> String? {
        guard let p, n > 0 else { return "" }
        if let start = input.baseAddress, p >= start, p < start + input.count {
            let bytes = UnsafeBufferPointer(start: p, count: n)
            if isStrictUTF8(bytes) { return String(decoding: bytes, as: UTF8.self) }
            return fail("invalid UTF-8 in string", at: p - start)
        }
        // yajl handed over its decode buffer: the token had escapes. It has just consumed the
        // token, so the closing quote sits right before the consumed offset.
        let end = Int(yajl_get_bytes_consumed(handle)) - 1
        guard end > 0, end < input.count, input[end] == UInt8(ascii: "\"") else {
            return fail("cannot locate escaped string", at: max(end, 0))
        }
        var open = end - 1
        while open >= 0 {
            if input[open] == UInt8(ascii: "\""), precedingBackslashes(open) % 2 == 0 { break }
            open -= 1
        }
        guard let bytes = unescape(input[(open + 1)..<end]) else {
            return fail("invalid escape in string", at: open + 1)
        }
        if bytes.withUnsafeBufferPointer(isStrictUTF8) { return String(decoding: bytes, as: UTF8.self) }
        return fail("invalid UTF-8 in string", at: open + 1)
    }

    private func precedingBackslashes(_ i: Int) -> Int {
        var n = 0
        while i - n - 1 >= 0, input[i - n - 1] == UInt8(ascii: "\\") { n += 1 }
        return n
    }

    private mutating func fail(_ message: String, at offset: Int) -> String? {
        failure = message
        failureOffset = offset
        return nil
    }

    mutating func close() -> Int32 {
        let top = stack.removeLast()
        let closed: JSONValue
        if top.isObject {
            closed = .object(Self.members(keys: keys[top.keyStart...], values: values[top.valueStart...]))
            keys.removeSubrange(top.keyStart...)
        } else {
            closed = .array(Array(values[top.valueStart...]))
        }
        values.removeSubrange(top.valueStart...)
        return add(closed)
    }

    /// Pairs keys with values; a repeated key keeps its first position and its last value.
    static func members(keys: ArraySlice<String>, values: ArraySlice<JSONValue>) -> [(key: String, value: JSONValue)] {
        // Walked by index, not zip(): the first zip of these two slice types in a process had
        // the runtime look up both iterator types by mangled name, ~130K instructions, a
        // quarter of a whole `delete`.
        var members: [(key: String, value: JSONValue)] = []
        members.reserveCapacity(keys.count)
        let offset = values.startIndex - keys.startIndex
        if keys.count <= 12 {
            outer: for index in keys.indices {
                let k = keys[index]
                let v = values[index + offset]
                for i in members.indices where members[i].key == k {
                    members[i].value = v
                    continue outer
                }
                members.append((k, v))
            }
            return members
        }
        var position: [String: Int] = [:]
        position.reserveCapacity(keys.count)
        for index in keys.indices {
            let k = keys[index]
            let v = values[index + offset]
            if let i = position[k] {
                members[i].value = v
            } else {
                position[k] = members.count
                members.append((k, v))
            }
        }
        return members
    }
}

@inline(__always)
private func builder(_ ctx: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<TreeBuilder> {
    ctx!.assumingMemoryBound(to: TreeBuilder.self)
}

/// UTF-8 as Unicode defines it (Table 3-7): no overlong forms, no surrogates, nothing past
/// U+10FFFF. ASCII runs are skipped eight bytes at a time.
func isStrictUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let p = bytes.baseAddress else { return true }
    let n = bytes.count
    var i = 0
    while i < n {
        if i + 8 <= n, UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
            i += 8
            continue
        }
        let b = p[i]
        if b < 0x80 { i += 1; continue }
        func cont(_ j: Int) -> Bool { j < n && p[j] & 0xC0 == 0x80 }
        func within(_ j: Int, _ lo: UInt8, _ hi: UInt8) -> Bool { j < n && p[j] >= lo && p[j] <= hi }
        switch b {
        case 0xC2...0xDF:
            guard cont(i + 1) else { return false }
            i += 2
        case 0xE0...0xEF:
            let lo: UInt8 = b == 0xE0 ? 0xA0 : 0x80
            let hi: UInt8 = b == 0xED ? 0x9F : 0xBF
            guard within(i + 1, lo, hi), cont(i + 2) else { return false }
            i += 3
        case 0xF0...0xF4:
            let lo: UInt8 = b == 0xF0 ? 0x90 : 0x80
            let hi: UInt8 = b == 0xF4 ? 0x8F : 0xBF
            guard within(i + 1, lo, hi), cont(i + 2), cont(i + 3) else { return false }
            i += 4
        default:
            return false
        }
    }
    return true
}

/// Decodes the escapes of a raw JSON string body (yajl's lexer has already checked their
/// syntax). Returns nil on a malformed escape.
private func unescape(_ raw: Slice<UnsafeBufferPointer<UInt8>>) -> [UInt8]? {
    var out: [UInt8] = []
    out.reserveCapacity(raw.count)
    var i = raw.startIndex
    func hex4(_ at: Int) -> UInt32? {
        guard at + 4 <= raw.endIndex else { return nil }
        var v: UInt32 = 0
        for b in raw[at..<(at + 4)] {
            switch b {
            case 0x30...0x39: v = v << 4 | UInt32(b - 0x30)
            case 0x41...0x46: v = v << 4 | UInt32(b - 0x41 + 10)
            case 0x61...0x66: v = v << 4 | UInt32(b - 0x61 + 10)
            default: return nil
            }
        }
        return v
    }
    while i < raw.endIndex {
        let b = raw[i]
        guard b == UInt8(ascii: "\\") else { out.append(b); i += 1; continue }
        guard i + 1 < raw.endIndex else { return nil }
        let e = raw[i + 1]
        i += 2
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0c)
        case UInt8(ascii: "n"): out.append(0x0a)
        case UInt8(ascii: "r"): out.append(0x0d)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            guard var code = hex4(i) else { return nil }
            i += 4
            if code >= 0xD800 && code < 0xDC00 {
                if i + 6 <= raw.endIndex, raw[i] == UInt8(ascii: "\\"), raw[i + 1] == UInt8(ascii: "u"),
                   let low = hex4(i + 2), low >= 0xDC00 && low < 0xE000 {
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                } else {
                    code = 0xFFFD
                }
            } else if code >= 0xDC00 && code < 0xE000 {
                code = 0xFFFD
            }
            out.append(contentsOf: String(Character(Unicode.Scalar(code)!)).utf8)
        default:
            return nil
        }
    }
    return out
}

private let treeCallbacks: yajl_callbacks = {
    var cb = yajl_callbacks()
    cb.yajl_null = { ctx in builder(ctx).pointee.add(.null) }
    cb.yajl_boolean = { ctx, b in builder(ctx).pointee.add(.bool(b != 0)) }
    // With yajl_number set, yajl hands every number over as its literal text: nothing is
    // rounded through double or clipped to long long.
    cb.yajl_number = { ctx, p, n in
        let s = UnsafeRawBufferPointer(start: p, count: n)
        return builder(ctx).pointee.add(.number(String(decoding: s, as: UTF8.self)))
    }
    cb.yajl_string = { ctx, p, n in builder(ctx).pointee.string(p, n) }
    cb.yajl_start_map = { ctx in builder(ctx).pointee.open(object: true) }
    cb.yajl_map_key = { ctx, p, n in builder(ctx).pointee.key(p, n) }
    cb.yajl_end_map = { ctx in builder(ctx).pointee.close() }
    cb.yajl_start_array = { ctx in builder(ctx).pointee.open(object: false) }
    cb.yajl_end_array = { ctx in builder(ctx).pointee.close() }
    return cb
}()
