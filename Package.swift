// swift-tools-version:6.0
import PackageDescription

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
        .target(name: "OCISpec", dependencies: ["CYajl"]),
        .target(name: "Linux", dependencies: ["CShims"]),
        .target(name: "Cgroups", dependencies: ["OCISpec", "Linux", "CShims"]),
        .target(name: "Security", dependencies: ["OCISpec", "Linux", "CSeccomp", "CCap"]),
        .target(name: "Runtime", dependencies: ["OCISpec", "Linux", "Cgroups", "Security", "CShims", "CSeccomp"]),
        .executableTarget(name: "swiftlet", dependencies: ["Runtime"]),

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
