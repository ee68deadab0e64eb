// Path arithmetic on strings only, never touching the filesystem: what is safe to do before a
// path is resolved by the kernel inside a root.

public enum LexicalPath {
    /// The non-empty parts between `/` bytes, as the kernel splits a path. Byte-wise on purpose:
    /// a Character-wise split runs grapheme breaking on every path (the init's hottest code
    /// before this) and would not split a `/` that a combining mark follows, where the kernel
    /// does.
    public static func parts(_ path: String) -> [Substring] {
        var parts: [Substring] = []
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
        var result: [String] = []
        for part in parts(path) {
            if isDot(part) { continue }
            if isDotDot(part) {
                if !result.isEmpty { result.removeLast() }
                continue
            }
            result.append(String(part))
        }
        return result
    }

    /// The absolute, clean form: `/dev//pts/../shm/` becomes `/dev/shm`.
    public static func clean(_ path: String) -> String {
        "/" + components(path).joined(separator: "/")
    }

    public static func join(_ base: String, _ path: String) -> String {
        let tail = components(path).joined(separator: "/")
        if tail.isEmpty { return base }
        return base.hasSuffix("/") ? base + tail : base + "/" + tail
    }

    /// Whether `path` is `root` itself or below it, comparing whole components.
    public static func isInside(_ root: String, _ path: String) -> Bool {
        let rootParts = components(root)
        let pathParts = components(path)
        return pathParts.count >= rootParts.count && Array(pathParts.prefix(rootParts.count)) == rootParts
    }

    /// `path` relative to `root` as an absolute path inside it (`/a/b` in root `/a` is `/b`), or
    /// nil when it is outside.
    public static func strip(root: String, _ path: String) -> String? {
        guard isInside(root, path) else { return nil }
        return "/" + components(path).dropFirst(components(root).count).joined(separator: "/")
    }

    public static func parent(_ path: String) -> String {
        "/" + components(path).dropLast().joined(separator: "/")
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
