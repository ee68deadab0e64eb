// Small parsers and file-system helpers the validator needs: SemVer, CPU/NUMA lists,
// network interface names and lexical path handling. Kept free of Foundation.

#if canImport(Glibc)
import Glibc
#endif

/// A SemVer 2.0.0 version (`1.0.2-dev`, `1.3.0+build.5`).
public struct SemanticVersion: Equatable, Sendable {
    public var major: UInt64
    public var minor: UInt64
    public var patch: UInt64
    public var prerelease: [String]
    public var build: [String]

    public init?(_ text: String) {
        var rest = Substring(text)
        var build: [String] = []
        if let plus = rest.firstIndex(of: "+") {
            build = rest[rest.index(after: plus)...].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            rest = rest[..<plus]
            guard build.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isIdentifierByte) }) else { return nil }
        }
        var prerelease: [String] = []
        if let dash = rest.firstIndex(of: "-") {
            prerelease = rest[rest.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            rest = rest[..<dash]
            for id in prerelease {
                guard !id.isEmpty, id.utf8.allSatisfy(isIdentifierByte) else { return nil }
                if id.utf8.allSatisfy(isDigit), id.utf8.count > 1, id.utf8.first == UInt8(ascii: "0") { return nil }
            }
        }
        let core = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard core.count == 3, let major = numericIdentifier(core[0]), let minor = numericIdentifier(core[1]),
              let patch = numericIdentifier(core[2]) else { return nil }
        self.major = major; self.minor = minor; self.patch = patch
        self.prerelease = prerelease; self.build = build
    }
}

private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

private func isIdentifierByte(_ b: UInt8) -> Bool {
    isDigit(b) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == UInt8(ascii: "-")
}

private func numericIdentifier(_ s: Substring) -> UInt64? {
    guard !s.isEmpty, s.utf8.allSatisfy(isDigit) else { return nil }
    if s.utf8.count > 1 && s.utf8.first == UInt8(ascii: "0") { return nil }
    return UInt64(s)
}

/// A list of CPUs or memory nodes as cpuset and the spec write it: `0-3,7`.
/// Like runc, blanks around elements and empty elements are tolerated, but the list must
/// name at least one member.
public struct CPUList: Equatable, Sendable {
    /// runc's limit on CPU/NUMA ids, so both runtimes accept the same configs.
    public static let maxID = 64 * 1024

    public var ranges: [ClosedRange<Int>]

    public struct ParseError: Error, CustomStringConvertible, Equatable, Sendable {
        public var message: String
        public var description: String { message }
    }

    public init(parsing text: String) throws(ParseError) {
        var ranges: [ClosedRange<Int>] = []
        for element in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = trimBlanks(element)
            if item.isEmpty { continue }
            let bounds = item.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            guard let low = CPUList.id(bounds[0]) else {
                throw ParseError(message: "invalid CPU list \(jsonQuoted(text)): bad element \(jsonQuoted(String(item)))")
            }
            var high = low
            if bounds.count == 2 {
                guard let h = CPUList.id(bounds[1]) else {
                    throw ParseError(message: "invalid CPU list \(jsonQuoted(text)): bad element \(jsonQuoted(String(item)))")
                }
                high = h
            }
            guard low <= high else {
                throw ParseError(message: "invalid CPU list \(jsonQuoted(text)): range \(jsonQuoted(String(item))) is reversed")
            }
            ranges.append(low...high)
        }
        if ranges.isEmpty { throw ParseError(message: "invalid CPU list \(jsonQuoted(text)): no members") }
        self.ranges = ranges
    }

    public var count: Int { ranges.reduce(0) { $0 + $1.count } }

    private static func id(_ s: Substring) -> Int? {
        guard !s.isEmpty, s.utf8.allSatisfy(isDigit), let v = Int(s), v <= maxID else { return nil }
        return v
    }
}

private func trimBlanks(_ s: Substring) -> Substring {
    var s = s
    while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
    while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
    return s
}

/// The kernel's rule for interface names (net/core/dev.c dev_valid_name): 1 to 15 bytes,
/// not `.` or `..`, no `/`, `:` or whitespace.
public func isValidInterfaceName(_ name: String) -> Bool {
    let bytes = Array(name.utf8)
    if bytes.isEmpty || bytes.count >= 16 { return false }
    if name == "." || name == ".." { return false }
    return !bytes.contains { b in
        b == UInt8(ascii: "/") || b == UInt8(ascii: ":") || b == 0x20 || (b >= 0x09 && b <= 0x0d)
    }
}

// MARK: paths

func joinPath(_ base: String, _ rel: String) -> String {
    if base.isEmpty { return rel }
    return base.hasSuffix("/") ? base + rel : base + "/" + rel
}

/// Lexical clean like Go's filepath.Clean: collapses `//`, `.` and `..` without looking at
/// the file system.
func cleanPath(_ path: String) -> String {
    // On bytes: a Character-wise split ran grapheme breaking, the validator's largest cost.
    let slash = UInt8(ascii: "/")
    let absolute = path.utf8.first == slash
    var parts: [Substring] = []
    for part in path.utf8.split(separator: slash) {
        if isDots(part, 1) { continue }
        if isDots(part, 2) {
            if let last = parts.last, !isDots(last.utf8, 2) { parts.removeLast() }
            else if !absolute { parts.append(Substring(part)) }
            continue
        }
        parts.append(Substring(part))
    }
    var body = absolute ? "/" : ""
    for (index, part) in parts.enumerated() {
        if index > 0 { body += "/" }
        body.append(contentsOf: part)
    }
    return body.isEmpty ? "." : body
}

/// `.` (count 1) or `..` (count 2), by bytes.
private func isDots(_ part: Substring.UTF8View, _ count: Int) -> Bool {
    part.count == count && part.allSatisfy { $0 == UInt8(ascii: ".") }
}

enum FileKind { case missing, directory, other }

func fileKind(_ path: String) -> FileKind {
    var st = stat()
    if stat(path, &st) != 0 { return .missing }
    return (st.st_mode & S_IFMT) == S_IFDIR ? .directory : .other
}

func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
}

/// Whether two paths name the same file (same device and inode); nil if either is missing.
func sameFile(_ a: String, _ b: String) -> Bool? {
    var sa = stat(), sb = stat()
    guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return nil }
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
}

/// SELinux is usable when selinuxfs is mounted where the kernel puts it.
func isSELinuxEnabled() -> Bool { access("/sys/fs/selinux/enforce", F_OK) == 0 }
