// libFuzzer entry for config.json decoding and validation. Built by fuzz/build.sh together with
// Sources/OCISpec/*.swift into one module (so no Package.swift change and no Foundation).
//
// Properties checked on every input, beyond "no crash, no hang":
// - a rejected input throws a JSONDecodeError whose description is non-empty and that names a
//   JSON path (`linux.namespaces[2].type`) or a position (line/column of a syntax error);
// - every validation issue names its JSON path and says something;
// - an accepted config survives encode -> decode unchanged (the state dir and `spec` rely on it);
// - the same bytes as a process.json (`exec --process`) and a LinuxResources body
//   (`update --resources`) follow the same rules.

import Glibc

@_cdecl("LLVMFuzzerTestOneInput")
public func configFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    let value: JSONValue
    do {
        value = try JSONParser.parse(bytes)
    } catch let error as JSONParseError {
        requireLocated(error)
        // The decoder wraps the same failure; it must say the same thing.
        expectDecodeFailure(Spec.self, bytes, what: "config.json")
        return 0
    } catch {
        fail("JSONParser threw a non-JSONParseError: \(error)")
    }
    checkDocument(Spec.self, value, what: "config.json") { validateSpec($0, bundle: nil, options: ValidationOptions()) }
    checkDocument(Spec.self, value, what: "config.json (rootless, systemd)") {
        validateSpec($0, bundle: nil, options: ValidationOptions(systemdCgroup: true, rootless: true, noPivotRoot: true))
    }
    checkDocument(Process.self, value, what: "process.json") { validateProcess($0) }
    checkDocument(LinuxResources.self, value, what: "update --resources") { validateResources($0) }
    checkDocument(State.self, value, what: "state") { _ in ValidationReport() }
    return 0
}

/// Decodes `value` as `T`; a rejection must be a located error, an acceptance must validate
/// without crashing, report only located issues, and round-trip through the encoder.
private func checkDocument<T: Codable & Equatable>(_ type: T.Type, _ value: JSONValue, what: String,
                                                   validate: (T) -> ValidationReport) {
    let decoded: T
    do {
        decoded = try SpecDecoder().decode(T.self, from: value)
    } catch let error as JSONDecodeError {
        requireLocated(error, what: what)
        return
    } catch {
        fail("\(what): decoder threw a non-JSONDecodeError: \(error)")
    }
    let report = validate(decoded)
    for issue in report.errors + report.warnings {
        if issue.path.isEmpty || issue.message.isEmpty || issue.description.isEmpty {
            fail("\(what): validation issue without a path or message: \(issue.description)")
        }
    }
    let encoded: [UInt8]
    do {
        encoded = try SpecEncoder().encode(decoded)
    } catch {
        // Only NaN/infinity can fail to encode, and the parser never produces those.
        fail("\(what): an accepted document does not encode: \(error)")
    }
    do {
        let again = try SpecDecoder().decode(T.self, from: encoded)
        if again != decoded {
            fail("\(what): encode -> decode changed the document; encoded: \(String(decoding: encoded, as: UTF8.self))")
        }
    } catch {
        fail("\(what): our own encoding does not decode: \(error); encoded: \(String(decoding: encoded, as: UTF8.self))")
    }
}

private func expectDecodeFailure<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], what: String) {
    do {
        _ = try SpecDecoder().decode(T.self, from: bytes)
        fail("\(what): the parser rejected the input but the decoder accepted it")
    } catch let error as JSONDecodeError {
        guard error.syntax != nil else { fail("\(what): a syntax error lost its position: \(error)") }
        requireLocated(error, what: what)
    } catch {
        fail("\(what): decoder threw a non-JSONDecodeError: \(error)")
    }
}

private func requireLocated(_ error: JSONParseError) {
    if error.message.isEmpty || error.line < 1 || error.column < 1 || error.offset < 0 {
        fail("syntax error without a message or position: \(error)")
    }
}

/// "Clear" here means: it says something, and it says where (a JSON path, or for the
/// document's own root an explicit mention of it, or a syntax position).
private func requireLocated(_ error: JSONDecodeError, what: String) {
    let text = error.description
    if text.isEmpty || error.message.isEmpty { fail("\(what): empty error description") }
    if let syntax = error.syntax { requireLocated(syntax); return }
    if error.path.isEmpty && !text.contains("top level") && !text.contains("root") {
        fail("\(what): error names no path or position: \(text)")
    }
}

private func fail(_ message: String) -> Never {
    fputs("config fuzz property failed: \(message)\n", stderr)
    abort()
}
