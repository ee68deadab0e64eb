// Path arithmetic on strings only, never touching the filesystem: what is safe to do before a
// path is resolved by the kernel inside a root.

public enum LexicalPath {
    /// The non-empty parts between `/` bytes, as the kernel splits a path. Byte-wise on purpose:
    /// a Character-wise split runs grapheme breaking on every path (the init's hottest code
    /// before this) and would not split a `/` that a combining mark follows, where the kernel
    /// does.
    public static func parts(_ path: String) -> [Substring] {
        var parts: [Substring] = []
        parts.reserveCapacity(8)
        let bytes = path.utf8
        var start = bytes.startIndex
        var index = start
        while index != bytes.endIndex {
            if bytes[index] == UInt8(ascii: "/") {
                if index != start { parts.append(Substring(bytes[start..<index])) }
                start = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
        if start != bytes.endIndex { parts.append(Substring(bytes[start..<bytes.endIndex])) }
        return parts
    }

    /// `.`, compared by bytes (String `==` compares canonical equivalence, which a path never needs).
    public static func isDot(_ part: Substring) -> Bool {
        let bytes = part.utf8
        return bytes.count == 1 && bytes.first == UInt8(ascii: ".")
    }

    public static func isDotDot(_ part: Substring) -> Bool {
        let bytes = part.utf8
        return bytes.count == 2 && bytes.first == UInt8(ascii: ".") && bytes.last == UInt8(ascii: ".")
    }

    /// The components of a path with `.`, empty components and `..` folded, as if the path were
    /// rooted: `..` never climbs above the start, so `/../etc` and `etc` both give ["etc"].
    public static func components(_ path: String) -> [String] {
        let all = parts(path)
        var result: [String] = []
        result.reserveCapacity(all.count)
        for part in all {
            if isDot(part) { continue }
            if isDotDot(part) {
                if !result.isEmpty { result.removeLast() }
                continue
            }
            result.append(String(part))
        }
        return result
    }

    /// The absolute, clean form: `/dev//pts/../shm/` becomes `/dev/shm`. A path that is clean
    /// already (most are) comes back as it is.
    public static func clean(_ path: String) -> String {
        isClean(path) ? path : rooted(components(path)[...])
    }

    /// Absolute, with no empty, `.` or `..` component and no `/` at the end (but for `/`).
    public static func isClean(_ path: String) -> Bool {
        let bytes = path.utf8
        guard bytes.first == UInt8(ascii: "/") else { return false }
        if bytes.count == 1 { return true }
        var length = 0  // of the component being read
        var dots = 0    // how many of its bytes are `.`
        for byte in bytes.dropFirst() {
            if byte == UInt8(ascii: "/") {
                if length == 0 || (dots == length && length <= 2) { return false }
                length = 0
                dots = 0
            } else {
                length += 1
                if byte == UInt8(ascii: ".") { dots += 1 }
            }
        }
        return length != 0 && !(dots == length && length <= 2)
    }

    /// The clean form without its leading `/`: `a/b` for `/a//b/`, and "" for `/`.
    public static func relative(_ path: String) -> String {
        joinStrings(components(path), separator: "/")
    }

    static func rooted(_ parts: ArraySlice<String>) -> String {
        joinStrings(parts, separator: "/", after: "/")
    }

    public static func join(_ base: String, _ path: String) -> String {
        let parts = components(path)
        if parts.isEmpty { return base }
        let trimmed = base.utf8.last == UInt8(ascii: "/") ? String(base.dropLast()) : base
        return joinStrings(parts, separator: "/", after: trimmed + "/")
    }

    /// Whether `path` is `root` itself or below it, comparing whole components.
    public static func isInside(_ root: String, _ path: String) -> Bool {
        below(root, path) != nil
    }

    /// `path` relative to `root` as an absolute path inside it (`/a/b` in root `/a` is `/b`), or
    /// nil when it is outside.
    public static func strip(root: String, _ path: String) -> String? {
        below(root, path).map(rooted)
    }

    /// The components of `path` past those of `root`, or nil when `path` is not inside it.
    private static func below(_ root: String, _ path: String) -> ArraySlice<String>? {
        let rootParts = components(root)
        let pathParts = components(path)
        guard pathParts.count >= rootParts.count, pathParts.prefix(rootParts.count).elementsEqual(rootParts) else {
            return nil
        }
        return pathParts.dropFirst(rootParts.count)
    }

    public static func parent(_ path: String) -> String {
        rooted(components(path).dropLast())
    }

    public static func baseName(_ path: String) -> String {
        components(path).last ?? "/"
    }

    /// An absolute path from `base` for a path that may be relative (a bind source is relative
    /// to the bundle); the result is not cleaned of `..`, which the kernel resolves.
    public static func absolute(_ path: String, from base: String) -> String {
        if path.hasPrefix("/") { return path }
        return base.hasSuffix("/") ? base + path : base + "/" + path
    }
}

/// `start`, then `parts` with `separator` between them. A loop: the standard library's
/// joined(separator:) is generic over the collection and ran unspecialized here, and its first
/// call in a process looked up associated types by mangled name (the init's largest cost).
public func joinStrings(_ parts: ArraySlice<String>, separator: String, after start: String = "") -> String {
    var joined = start
    var first = true
    for part in parts {
        if !first { joined += separator }
        joined += part
        first = false
    }
    return joined
}

public func joinStrings(_ parts: [String], separator: String, after start: String = "") -> String {
    joinStrings(parts[...], separator: separator, after: start)
}

/// An unsigned decimal number (digits only, as the kernel writes them), or nil for anything
/// else or an overflow. Concrete on purpose: Int(_:) on a Substring is generic over the text
/// and, first used in a process, made the runtime look up types by mangled name.
public func decimalValue(_ digits: ArraySlice<UInt8>) -> UInt64? {
    guard !digits.isEmpty else { return nil }
    var value: UInt64 = 0
    for digit in digits {
        guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
        let (times, o1) = value.multipliedReportingOverflow(by: 10)
        let (sum, o2) = times.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
        if o1 || o2 { return nil }
        value = sum
    }
    return value
}

public func decimalValue(_ text: Substring.UTF8View) -> UInt64? {
    decimalValue(ArraySlice(text))
}
