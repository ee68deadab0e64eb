// Reading and checking a bundle's config.json before anything is created.
import Linux
import OCISpec

enum SpecLoading {
    /// config.json's bytes, read but not yet checked.
    static func readText(bundle: String) throws -> [UInt8] {
        do { return try readSpecText(bundle: bundle) } catch { throw RuntimeError("\(error)") }
    }

    /// The bytes of readText decoded and validated; warnings are logged, errors thrown.
    static func validated(_ text: [UInt8], bundle: String) throws -> Spec {
        do {
            let (spec, warnings) = try validSpec(text: text, bundle: bundle)
            for warning in warnings { Logger.shared.warning("\(warning)") }
            return spec
        } catch {
            throw RuntimeError("\(error)")
        }
    }
}
