// Reading a bundle's config.json (and exec's process.json): file -> bytes -> Spec, then a
// separate validation step, so callers that only need the data (state, delete) skip the rules.
// Every failure prints as one runc-like line.

#if canImport(Glibc)
import Glibc
#endif

public enum SpecLoadError: Error, CustomStringConvertible {
    /// A system call on the file failed: `open /b/config.json: no such file or directory`.
    case io(operation: String, path: String, errno: Int32)
    /// The file is not valid JSON or does not match the model.
    case decode(path: String, JSONDecodeError)
    /// The config decoded but breaks rules; all of them, in document order.
    case invalid(path: String, [ValidationIssue])

    public var description: String {
        switch self {
        case let .io(operation, path, err):
            return "\(operation) \(path): \(errnoDescription(err))"
        case let .decode(path, error):
            return "\(path): \(error)"
        case let .invalid(path, issues):
            let list = issues.map(\.description).joined(separator: "; ")
            return issues.count == 1 ? "\(path): invalid config: \(list)" : "\(path): \(issues.count) problems: \(list)"
        }
    }
}

/// Go's wording of an errno (what runc prints): strerror with a lower-case first letter.
func errnoDescription(_ err: Int32) -> String {
    let text = String(cString: strerror(err))
    guard let first = text.first else { return text }
    return first.lowercased() + text.dropFirst()
}

/// Reads and decodes `<bundle>/config.json`. Does not validate: see `requireValid`.
public func loadSpec(bundle: String) throws(SpecLoadError) -> Spec {
    try loadJSONFile(Spec.self, path: joinPath(bundle, "config.json"))
}

/// Reads and decodes a process.json (`exec --process`).
public func loadProcess(path: String) throws(SpecLoadError) -> Process {
    try loadJSONFile(Process.self, path: path)
}

/// Reads, decodes and validates `<bundle>/config.json`; returns the spec and the warnings
/// the caller should log.
public func loadValidSpec(bundle: String, options: ValidationOptions = ValidationOptions())
    throws(SpecLoadError) -> (spec: Spec, warnings: [ValidationIssue]) {
    try validSpec(text: try readSpecText(bundle: bundle), bundle: bundle, options: options)
}

/// `<bundle>/config.json`'s bytes, not yet decoded (create hands them to init first).
public func readSpecText(bundle: String) throws(SpecLoadError) -> [UInt8] {
    try readFileBytes(joinPath(bundle, "config.json"))
}

/// config.json's bytes (readSpecText) decoded and validated; returns the warnings to log.
public func validSpec(text: [UInt8], bundle: String, options: ValidationOptions = ValidationOptions())
    throws(SpecLoadError) -> (spec: Spec, warnings: [ValidationIssue]) {
    let spec = try decodeJSONFile(Spec.self, bytes: text, path: joinPath(bundle, "config.json"))
    let warnings = try requireValid(spec, bundle: bundle, options: options)
    return (spec, warnings)
}

/// Decodes a config.json the runtime already validated, leaving out `linux.seccomp`: the
/// init process gets the compiled program instead, and decoding a docker-sized profile a
/// second time would cost more than the rest of the document.
public func decodeSpecWithoutSeccomp(_ bytes: [UInt8]) throws -> Spec {
    return try Spec(json: droppingMember("seccomp", under: "linux", of: try SpecDecoder().parse(bytes)), at: .root)
}

/// Keys match as the decoder matches them (ASCII case-insensitively).
func droppingMember(_ name: String, under parent: String, of tree: JSONValue) -> JSONValue {
    guard case .object(let members) = tree else { return tree }
    return .object(members.map { member in
        guard asciiCaseInsensitiveEqual(member.key, parent), case .object(let inner) = member.value else { return member }
        return (key: member.key, value: .object(inner.filter { !asciiCaseInsensitiveEqual($0.key, name) }))
    })
}

/// Throws `.invalid` with every error if `spec` breaks a rule; otherwise returns the warnings.
public func requireValid(_ spec: Spec, bundle: String?, options: ValidationOptions = ValidationOptions())
    throws(SpecLoadError) -> [ValidationIssue] {
    let report = validateSpec(spec, bundle: bundle, options: options)
    if !report.errors.isEmpty {
        throw .invalid(path: bundle.map { joinPath($0, "config.json") } ?? "config.json", report.errors)
    }
    return report.warnings
}

/// Throws `.invalid` if a process.json breaks a rule; otherwise returns the warnings.
public func requireValid(process: Process, path: String) throws(SpecLoadError) -> [ValidationIssue] {
    let report = validateProcess(process)
    if !report.errors.isEmpty { throw .invalid(path: path, report.errors) }
    return report.warnings
}

func loadJSONFile<T: JSONReadable>(_ type: T.Type, path: String) throws(SpecLoadError) -> T {
    try decodeJSONFile(type, bytes: try readFileBytes(path), path: path)
}

/// `bytes`, the content of `path`, decoded; failures name the file.
func decodeJSONFile<T: JSONReadable>(_ type: T.Type, bytes: [UInt8], path: String) throws(SpecLoadError) -> T {
    do {
        return try T.read(fromJSON: bytes)
    } catch let error as JSONDecodeError {
        throw .decode(path: path, error)
    } catch {
        throw .decode(path: path, JSONDecodeError(path: "", message: "\(error)"))
    }
}

/// The whole file. A config.json is small, so one fstat-sized buffer normally suffices.
func readFileBytes(_ path: String) throws(SpecLoadError) -> [UInt8] {
    var fd: Int32
    repeat { fd = open(path, O_RDONLY | O_CLOEXEC) } while fd < 0 && errno == EINTR
    guard fd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw .io(operation: "stat", path: path, errno: errno) }
    if (info.st_mode & S_IFMT) == S_IFDIR { throw .io(operation: "read", path: path, errno: EISDIR) }
    var bytes = [UInt8](repeating: 0, count: max(Int(info.st_size), 0) + 1)
    var used = 0
    while true {
        if used == bytes.count { bytes.append(contentsOf: repeatElement(0, count: max(bytes.count, 4096))) }
        let n = bytes.withUnsafeMutableBytes { buf in read(fd, buf.baseAddress! + used, buf.count - used) }
        if n < 0 {
            if errno == EINTR { continue }
            throw .io(operation: "read", path: path, errno: errno)
        }
        if n == 0 { break }
        used += n
    }
    bytes.removeSubrange(used...)
    return bytes
}
