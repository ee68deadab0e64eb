// `--version`, in the lines engines parse: name and version, commit, spec.
import Runtime

enum Version {
    static let number = BuildInfo.version
    static var text: String {
        "swiftlet version \(number)\ncommit: \(BuildInfo.commit)\nspec: \(SpecVersionInfo.current)\nlibseccomp: \(SpecVersionInfo.libseccomp)"
    }
}
