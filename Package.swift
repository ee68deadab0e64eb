// swift-tools-version:6.0
import PackageDescription

// Concrete generic types (Array<String>, Optional<Process>, ...) get direct metadata accessors
// instead of mangled-name lookups. A mangled-name lookup demangles at run time and checks each
// generic requirement by scanning every conformance record in the binary: about 0.5 ms of
// every cold command here (bench/README.md). Costs 20 KB of code.
// No implicit _StringProcessing or _Concurrency: swiftlet uses neither regexes nor async, and
// linking them was 1.3 MB of the binary and their conformance records in every lookup.
let startUp: [SwiftSetting] = [.unsafeFlags([
    "-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors",
    "-Xfrontend", "-disable-implicit-string-processing-module-import",
    "-Xfrontend", "-disable-implicit-concurrency-module-import",
])]

// Imports point one way, downward: C shims and system libraries at the bottom, the CLI on top.
let package = Package(
    name: "swiftlet",
    products: [
        .executable(name: "swiftlet", targets: ["swiftlet"]),
    ],
    targets: [
        .target(name: "CShims"),
        .systemLibrary(name: "CSeccomp", path: "Sources/CSeccomp"),
        .systemLibrary(name: "CCap", path: "Sources/CCap"),
        .systemLibrary(name: "CYajl", path: "Sources/CYajl"),
        .target(name: "OCISpec", dependencies: ["CYajl"], swiftSettings: startUp),
        .target(name: "Linux", dependencies: ["CShims"], swiftSettings: startUp),
        .target(name: "Cgroups", dependencies: ["OCISpec", "Linux", "CShims"], swiftSettings: startUp),
        .target(name: "Security", dependencies: ["OCISpec", "Linux", "CSeccomp", "CCap"], swiftSettings: startUp),
        .target(name: "Runtime", dependencies: ["OCISpec", "Linux", "Cgroups", "Security", "CShims", "CSeccomp"], swiftSettings: startUp),
        .executableTarget(name: "swiftlet", dependencies: ["Runtime"], swiftSettings: startUp),

        .testTarget(name: "OCISpecTests", dependencies: ["OCISpec"], resources: [.copy("Fixtures")]),
        .testTarget(name: "LinuxTests", dependencies: ["Linux"]),
        .testTarget(name: "CgroupsTests", dependencies: ["Cgroups"]),
        .testTarget(name: "SecurityTests", dependencies: ["Security"]),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime"]),
        // Starts real containers through the built binary; needs root, skips otherwise.
        .testTarget(name: "IntegrationTests", dependencies: ["OCISpec"]),
    ],
    swiftLanguageModes: [.v5]
)
