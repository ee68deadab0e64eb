/// Serializes `JSONValue` as compact JSON, or indented like Go's `json.MarshalIndent(v, "", indent)`
/// (runc writes `spec` output with a tab). Strings are escaped minimally: `"`, `\` and control
/// characters only; `/` and non-ASCII are written as they are, so hook stdin and `state` output
/// read like runc's.
public enum JSONWriter {
    public static func string(_ value: JSONValue, indent: String? = nil) -> String {
        String(decoding: bytes(value, indent: indent), as: UTF8.self)
    }

    public static func bytes(_ value: JSONValue, indent: String? = nil) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        if let indent, !indent.isEmpty {
            writeIndented(value, into: &out, indent: Array(indent.utf8), level: 0)
        } else {
            writeCompact(value, into: &out)
        }
        return out
    }

    static func writeCompact(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeCompact(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, member) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                writeCompact(member.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        default:
            writeScalar(value, into: &out)
        }
    }

    static func writeIndented(_ value: JSONValue, into out: inout [UInt8], indent: [UInt8], level: Int) {
        func newline(_ level: Int) {
            out.append(0x0a)
            for _ in 0..<level { out.append(contentsOf: indent) }
        }
        switch value {
        case .array(let items):
            out.append(UInt8(ascii: "["))
            if items.isEmpty { out.append(UInt8(ascii: "]")); return }
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(level + 1)
                writeIndented(item, into: &out, indent: indent, level: level + 1)
            }
            newline(level)
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            if members.isEmpty { out.append(UInt8(ascii: "}")); return }
            for (i, member) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(level + 1)
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                out.append(UInt8(ascii: " "))
                writeIndented(member.value, into: &out, indent: indent, level: level + 1)
            }
            newline(level)
            out.append(UInt8(ascii: "}"))
        default:
            writeScalar(value, into: &out)
        }
    }

    private static func writeScalar(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let text): out.append(contentsOf: text.utf8)
        case .string(let s): writeString(s, into: &out)
        case .array, .object: writeCompact(value, into: &out)
        }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Copies runs that need no escaping in one go; most strings are one such run.
    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            var runStart = 0
            for (i, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                runStart = i + 1
                out.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
                case 0x0a: out.append(UInt8(ascii: "n"))
                case 0x0d: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                case 0x08: out.append(UInt8(ascii: "b"))
                case 0x0c: out.append(UInt8(ascii: "f"))
                default:
                    out.append(contentsOf: "u00".utf8)
                    out.append(hex[Int(byte >> 4)])
                    out.append(hex[Int(byte & 0xf)])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// `s` as a JSON string literal, escaped as the writer escapes strings (so `/` stays as it
/// is): for log lines and for messages that show a user's value.
public func jsonQuoted(_ s: String) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(s.utf8.count + 2)
    JSONWriter.writeString(s, into: &out)
    return String(decoding: out, as: UTF8.self)
}

/// Number spelling for encoded values: integers exactly, floating point in the shortest form
/// that reads back to the same value, laid out like Go's encoding/json (plain decimals for
/// 1e-6 <= |x| < 1e21, otherwise `1e+21` / `1e-7`), so `100.0` is written `100`.
enum JSONNumberFormat {
    static func double(_ d: Double) -> String { layout(d.description, magnitude: d.magnitude) }
    static func float(_ f: Float) -> String { layout(f.description, magnitude: Double(f.magnitude)) }

    /// Re-lays out Swift's shortest round-trip spelling (`1e+16`, `100.0`, `1e-05`).
    static func layout(_ shortest: String, magnitude: Double) -> String {
        var text = Substring(shortest)
        let negative = text.hasPrefix("-")
        if negative { text = text.dropFirst() }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = text[..<e]
        }
        var digits: [UInt8] = []
        var point = 0
        var seenPoint = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") { seenPoint = true; continue }
            digits.append(byte)
            if !seenPoint { point += 1 }
        }
        point += exponent
        while let first = digits.first, first == UInt8(ascii: "0") { digits.removeFirst(); point -= 1 }
        while let last = digits.last, last == UInt8(ascii: "0") { digits.removeLast() }
        var out: [UInt8] = negative ? [UInt8(ascii: "-")] : []
        if digits.isEmpty {
            out.append(UInt8(ascii: "0"))
        } else if magnitude < 1e21 && magnitude >= 1e-6 {
            if point <= 0 {
                out.append(contentsOf: "0.".utf8)
                out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -point))
                out.append(contentsOf: digits)
            } else if point >= digits.count {
                out.append(contentsOf: digits)
                out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: point - digits.count))
            } else {
                out.append(contentsOf: digits[..<point])
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: digits[point...])
            }
        } else {
            out.append(digits[0])
            if digits.count > 1 {
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: digits[1...])
            }
            let e = point - 1
            out.append(contentsOf: (e < 0 ? "e-" : "e+").utf8)
            out.append(contentsOf: String(e.magnitude).utf8)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
