// Reading and checking a bundle's config.json before anything is created.
import Linux
import OCISpec

enum SpecLoading {
    /// The decoded and validated spec; validation warnings are logged, errors thrown.
    static func load(bundle: String) throws -> Spec {
        do {
            let (spec, warnings) = try loadValidSpec(bundle: bundle)
            for warning in warnings { Logger.shared.warning("\(warning)") }
            return spec
        } catch {
            throw RuntimeError("\(error)")
        }
    }
}
