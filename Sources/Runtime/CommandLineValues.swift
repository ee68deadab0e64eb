// Values on runc's command line are parsed by Go libraries (docker/go-units for memory sizes,
// strconv for integers, time.ParseDuration for intervals); engines pass strings written for
// those parsers, so these accept the same spellings and refuse the same ones.

public struct ValueSyntaxError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

public enum CommandLineValues {
    /// A memory size in bytes with binary units, case-insensitive, "b" optional: "512m",
    /// "1.5g", "100KiB", "2 GB", "1024". Negative sizes are refused ("-1" is the caller's
    /// business: runc checks for it before parsing).
    public static func ramInBytes(_ text: String) throws -> Int64 {
        let bytes = Array(text.utf8)
        // The number ends at the last digit, dot or space; what follows is the unit.
        guard let sep = bytes.lastIndex(where: { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2e || $0 == 0x20 }) else {
            throw ValueSyntaxError("invalid size: '\(text)'")
        }
        let numberBytes = bytes[sep] == 0x20 ? bytes[..<sep] : bytes[...sep]
        let suffix = String(decoding: bytes[(sep + 1)...], as: UTF8.self).lowercased()
        let number = String(decoding: numberBytes, as: UTF8.self)
        guard let size = parseFloat(number) else {
            throw ValueSyntaxError("strconv.ParseFloat: parsing \(goQuoted(number)): invalid syntax")
        }
        if size < 0 { throw ValueSyntaxError("invalid size: '\(text)'") }
        if suffix.isEmpty { return clampToInt64(size) }
        let badSuffix = ValueSyntaxError("invalid suffix: '\(suffix)'")
        let s = Array(suffix.utf8)
        if s.count > 3 { throw badSuffix }
        if s[0] == UInt8(ascii: "b") {
            if s.count > 1 { throw badSuffix }
            return clampToInt64(size)
        }
        let multipliers: [UInt8: Double] = [
            UInt8(ascii: "k"): 1024, UInt8(ascii: "m"): 1024 * 1024, UInt8(ascii: "g"): 1024 * 1024 * 1024,
            UInt8(ascii: "t"): 1024 * 1024 * 1024 * 1024, UInt8(ascii: "p"): 1024 * 1024 * 1024 * 1024 * 1024,
        ]
        guard let multiplier = multipliers[s[0]] else { throw badSuffix }
        if s.count == 2 && s[1] != UInt8(ascii: "b") { throw badSuffix }
        if s.count == 3 && suffix.dropFirst() != "ib" { throw badSuffix }
        return clampToInt64(size * multiplier)
    }

    /// strconv.ParseInt(text, 0, 64), as urfave/cli parses integer flags: an optional sign,
    /// then decimal, or 0x / 0o / 0 (octal) / 0b with `_` allowed between digits.
    public static func goInt(_ text: String) throws -> Int64 {
        var body = Substring(text)
        var negative = false
        if let first = body.first, first == "+" || first == "-" {
            negative = first == "-"
            body = body.dropFirst()
        }
        guard let magnitude = try parseUnsigned(body, allowPrefix: true, original: text, function: "ParseInt") else {
            throw ValueSyntaxError("strconv.ParseInt: parsing \(goQuoted(text)): invalid syntax")
        }
        if negative {
            if magnitude > UInt64(Int64.max) + 1 { throw outOfRange("ParseInt", text) }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        if magnitude > UInt64(Int64.max) { throw outOfRange("ParseInt", text) }
        return Int64(magnitude)
    }

    /// strconv.ParseInt(text, 10, 64).
    public static func decimalInt(_ text: String) throws -> Int64 {
        var body = Substring(text)
        var negative = false
        if let first = body.first, first == "+" || first == "-" {
            negative = first == "-"
            body = body.dropFirst()
        }
        guard let magnitude = try parseUnsigned(body, allowPrefix: false, original: text, function: "ParseInt") else {
            throw ValueSyntaxError("strconv.ParseInt: parsing \(goQuoted(text)): invalid syntax")
        }
        let limit = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
        if magnitude > limit { throw outOfRange("ParseInt", text) }
        if negative { return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude) }
        return Int64(magnitude)
    }

    /// strconv.ParseUint(text, 10, 64): digits only, no sign.
    public static func decimalUInt(_ text: String) throws -> UInt64 {
        guard let value = try parseUnsigned(Substring(text), allowPrefix: false, original: text, function: "ParseUint") else {
            throw ValueSyntaxError("strconv.ParseUint: parsing \(goQuoted(text)): invalid syntax")
        }
        return value
    }

    /// time.ParseDuration, in seconds: "5s", "100ms", "1m30s", "1.5h", "0"; units ns, us
    /// (µs, μs), ms, s, m, h.
    public static func duration(_ text: String) throws -> Double {
        let invalid = ValueSyntaxError("time: invalid duration \(goQuoted(text))")
        var rest = Substring(text)
        var sign = 1.0
        if let first = rest.first, first == "+" || first == "-" {
            sign = first == "-" ? -1 : 1
            rest = rest.dropFirst()
        }
        if rest == "0" { return 0 }
        if rest.isEmpty { throw invalid }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", number.filter({ $0 == "." }).count <= 1,
                  let value = Double(String(number)) else { throw invalid }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            rest = rest.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ns": scale = 1e-9
            case "us", "µs", "μs": scale = 1e-6
            case "ms": scale = 1e-3
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            case "": throw ValueSyntaxError("time: missing unit in duration \(goQuoted(text))")
            default: throw ValueSyntaxError("time: unknown unit \(goQuoted(String(unit))) in duration \(goQuoted(text))")
            }
            total += value * scale
        }
        return sign * total
    }

    // MARK: helpers

    /// Digits in base 10, or with a Go base prefix when `allowPrefix`; nil for bad syntax.
    private static func parseUnsigned(_ body: Substring, allowPrefix: Bool, original: String, function: String) throws -> UInt64? {
        var digits = body
        var base: UInt64 = 10
        var prefixed = false
        if allowPrefix, digits.first == "0", digits.count > 1 {
            let marker = digits.dropFirst().first!.lowercased()
            switch marker {
            case "x": base = 16; digits = digits.dropFirst(2)
            case "o": base = 8; digits = digits.dropFirst(2)
            case "b": base = 2; digits = digits.dropFirst(2)
            default: base = 8; digits = digits.dropFirst()
            }
            prefixed = true
        }
        // Go allows underscores only with a base prefix, between digits or after the prefix.
        if digits.contains("_") {
            guard prefixed, !digits.hasSuffix("_"), !zip(digits, digits.dropFirst()).contains(where: { $0 == "_" && $1 == "_" }) else { return nil }
        }
        let clean = digits.filter { $0 != "_" }
        if clean.isEmpty { return nil }
        var value: UInt64 = 0
        for ch in clean {
            guard let d = ch.hexDigitValue, UInt64(d) < base else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: base)
            let (s, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { throw outOfRange(function, original) }
            value = s
        }
        return value
    }

    /// strconv.ParseFloat's decimal syntax (no hex, inf or nan: a size always ends in a digit).
    static func parseFloat(_ text: String) -> Double? {
        var s = Substring(text)
        if let first = s.first, first == "+" || first == "-" { s = s.dropFirst() }
        let mantissa = s.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        guard !mantissa.isEmpty, mantissa != ".", mantissa.filter({ $0 == "." }).count <= 1 else { return nil }
        var exponent = s.dropFirst(mantissa.count)
        if !exponent.isEmpty {
            guard exponent.first == "e" || exponent.first == "E" else { return nil }
            exponent = exponent.dropFirst()
            if let sign = exponent.first, sign == "+" || sign == "-" { exponent = exponent.dropFirst() }
            guard !exponent.isEmpty, exponent.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        }
        return Double(text)
    }

    private static func clampToInt64(_ value: Double) -> Int64 {
        value >= 9.223372036854775807e18 ? Int64.max : Int64(value)
    }

    private static func outOfRange(_ function: String, _ text: String) -> ValueSyntaxError {
        ValueSyntaxError("strconv.\(function): parsing \(goQuoted(text)): value out of range")
    }

    /// Go's %q for the plain strings these messages show.
    static func goQuoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
