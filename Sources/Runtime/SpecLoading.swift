// Reading and checking a bundle's config.json before anything is created.
import Linux
import OCISpec

enum SpecLoading {
    /// The decoded and validated spec, with config.json's bytes (sent to init as they are);
    /// validation warnings are logged, errors thrown.
    static func load(bundle: String) throws -> (Spec, [UInt8]) {
        do {
            let (spec, text, warnings) = try loadValidSpecWithText(bundle: bundle)
            for warning in warnings { Logger.shared.warning("\(warning)") }
            return (spec, text)
        } catch {
            throw RuntimeError("\(error)")
        }
    }
}
