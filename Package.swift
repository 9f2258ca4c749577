// swift-tools-version: 6.1
import PackageDescription

// Layering (one way only):
//   CSepol (C: libsepol.a) -> Sepol (the only Swift file that touches C)
//   -> Flask (definitions + policy model + loading)
//   -> DecisionTable -> ArgoEngine -> ArgusAnalysis -> ArgusExposure -> ArgusPaths -> ArgusCommands -> argus
// ArgusGuest (a domain's own SELinux policy over the Argo devices; CSELinux: libselinux)
// sits beside ArgoEngine: over DecisionTable, under ArgusCommands.
// XenProfile (which Xen: plain values, no dependencies) is taken by ArgoEngine and up.
let package = Package(
    name: "Argus",
    products: [
        .executable(name: "argus", targets: ["argus"]),
        .library(name: "ArgusCommands", targets: ["ArgusCommands"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        // SHA-256 for the fingerprints of CI findings.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // libsepol's policydb API is only exported by the static archive; the module map
        // names no library so that nothing pulls in libsepol.so (see README, "Linking").
        .systemLibrary(name: "CSepol", path: "Sources/CSepol"),
        // Refuses corrupt symbol counts before libsepol's quadratic validation pass.
        .target(name: "CSepolGuard"),
        .target(
            name: "Sepol",
            dependencies: ["CSepol", "CSepolGuard"],
            linkerSettings: [
                .linkedLibrary(":libsepol.a"),
                .unsafeFlags(["-Xlinker", "--wrap=validate_policydb", "-Xlinker", "--wrap=avtab_read"]),
            ]
        ),
        .target(name: "Flask", dependencies: ["Sepol"]),
        // TOML 1.0 from untrusted bytes, with the position of every key and value.
        .target(name: "TOMLReader"),
        .target(name: "DecisionTable", dependencies: ["Flask", "Sepol"]),
        // Which Xen a prediction is for (version, flavour, arch, XSM build, boot options):
        // plain values, no dependencies, so every layer from the engine up can take one.
        .target(name: "XenProfile"),
        // libselinux (libselinux1-dev, shared: it does not pull in libsepol.so): file_contexts
        // labelling and the running kernel's security server, for the guest side of Argo.
        .systemLibrary(name: "CSELinux", path: "Sources/CSELinux"),
        // Which processes inside a domain may use Argo: its Linux SELinux policy over the
        // Argo device nodes (the decision table, libselinux labels, live mode).
        .target(name: "ArgusGuest", dependencies: ["CSELinux", "DecisionTable", "Flask", "Sepol"]),
        // Prefetch hints (inline C: Swift has none) for the engine's and the simulator's pipelines.
        .target(name: "CCacheHint"),
        .target(name: "ArgoEngine", dependencies: ["CCacheHint", "DecisionTable", "Flask", "XenProfile"]),
        // OpenXT's firewall as configured: its two rule syntaxes and the toolstack's reduction
        // of per-VM rules to the hypervisor's global rule list, each rule with its origin.
        .target(name: "ArgusFirewall", dependencies: ["ArgoEngine", "Flask"]),
        .target(
            name: "ArgusAnalysis",
            dependencies: ["ArgoEngine", "ArgusFirewall", "CCacheHint", "DecisionTable", "Flask", "XenProfile", "TOMLReader", "Yams"]
        ),
        // Which processes inside domains reach which services: the domain's SELinux policy joined
        // with the services audit (three gates: process -> device, domain -> domain, port -> port).
        .target(name: "ArgusProcesses", dependencies: ["ArgusAnalysis", "ArgusGuest", "ArgusFirewall", "Flask"]),
        // What any valid label could reach: exposure over every context, boolean and relation.
        .target(name: "ArgusExposure", dependencies: ["ArgusAnalysis", "ArgoEngine", "DecisionTable", "Flask", "XenProfile"]),
        // Paths over the universe of labels and the inventory-free `check`: exposure's public flow table only.
        .target(name: "ArgusPaths", dependencies: ["ArgusAnalysis", "ArgusExposure", "Flask"]),
        .target(
            name: "ArgusCommands",
            dependencies: [
                "ArgusAnalysis", "ArgusExposure", "ArgusPaths", "ArgoEngine", "ArgusFirewall", "ArgusGuest", "ArgusProcesses", "DecisionTable", "Flask", "XenProfile",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            plugins: ["BuildInfo"]
        ),
        // `argus --version`: the git commit of the build, generated before every build (README, "Install").
        .plugin(name: "BuildInfo", capability: .buildTool(), path: "Plugins/BuildInfo"),
        .executableTarget(name: "argus", dependencies: ["ArgusCommands"]),
        // `make bench`: figures next to libsepol and memcpy baselines measured in the same run.
        .executableTarget(
            name: "ArgusBenchmarks",
            dependencies: ["Sepol", "Flask", "DecisionTable", "ArgoEngine", "ArgusAnalysis", "ArgusExposure", "XenProfile", "PolicyGenerator"],
            path: "Benchmarks/ArgusBenchmarks"
        ),

        .testTarget(name: "FlaskTests", dependencies: ["Flask", "Sepol", "TestSupport"]),
        .testTarget(name: "DecisionTableTests", dependencies: ["DecisionTable", "Flask", "Sepol", "TestSupport"]),
        .testTarget(
            name: "ArgoEngineTests",
            dependencies: [
                "ArgoEngine", "XenProfile", "TestSupport", "CXenArgo",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "ArgusGuestTests",
            dependencies: ["ArgusGuest", "ArgusCommands", "DecisionTable", "Flask", "Sepol", "TestSupport"]
        ),
        .testTarget(
            name: "ArgusExposureTests",
            dependencies: ["ArgusExposure", "ArgusPaths", "ArgusCommands", "ArgusAnalysis", "ArgoEngine", "DecisionTable", "Flask", "Sepol", "XenProfile", "TestSupport", "CommandTestSupport"]
        ),
        .testTarget(name: "ArgusFirewallTests", dependencies: ["ArgusFirewall", "ArgoEngine", "ArgusAnalysis", "ArgusCommands", "Flask", "XenProfile", "TestSupport", "CommandTestSupport"]),
        .testTarget(name: "ArgusProcessesTests", dependencies: ["ArgusCommands", "TestSupport", "CommandTestSupport"]),
        .testTarget(name: "ArgusCommandsTests", dependencies: ["ArgusCommands", "ArgusAnalysis", "XenProfile", "TestSupport", "CommandTestSupport"]),
        // TOMLKit (toml++) only as a second opinion on valid documents; see TOMLReader.
        .testTarget(name: "TOMLReaderTests", dependencies: ["TOMLReader", "ArgusAnalysis", "TestSupport", "TOMLKit"]),
        // <xen/argo.h> from libxen-dev, for the engine's ABI test only.
        .systemLibrary(name: "CXenArgo", path: "Tests/CXenArgo"),
        .testTarget(
            name: "ArgusAnalysisTests",
            dependencies: ["ArgusAnalysis", "ArgoEngine", "Flask", "XenProfile", "TestSupport"]
        ),
        // Seeded Xen policies for tests and benchmarks (compiled with checkpolicy).
        .target(name: "PolicyGenerator", dependencies: ["Flask"], path: "Tests/PolicyGenerator"),
        // `runArgus` (commands in-process) and `relativePaths`, for every suite that runs commands.
        .target(name: "CommandTestSupport", dependencies: ["ArgusCommands", "TestSupport"], path: "Tests/CommandTestSupport"),
        .target(name: "TestSupport", dependencies: ["Flask", "DecisionTable", "Sepol", "PolicyGenerator"], path: "Tests/TestSupport"),
    ]
)

// Settings for every target in one place: Swift 6 mode with strict concurrency.
for target in package.targets where target.type != .system && target.type != .plugin && target.name != "CSepolGuard" && target.name != "CCacheHint" {
    var settings = target.swiftSettings ?? []
    settings.append(.swiftLanguageMode(.v6))
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    target.swiftSettings = settings
}
