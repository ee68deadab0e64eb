// Path arithmetic on strings only, never touching the filesystem: what is safe to do before a
// path is resolved by the kernel inside a root.

public enum LexicalPath {
    /// The components of a path with `.`, empty components and `..` folded, as if the path were
    /// rooted: `..` never climbs above the start, so `/../etc` and `etc` both give ["etc"].
    public static func components(_ path: String) -> [String] {
        var result: [String] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !result.isEmpty { result.removeLast() }
            default: result.append(String(part))
            }
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
