// swift-tools-version:6.0
import PackageDescription

/// How release executables are linked. Debug builds, which the tests use, keep SwiftPM's defaults.
/// - `-s`: no symbols or debug info, so the shipped binaries and the provider archives pulled on every cold start
///   are that much smaller.
/// - lld (the toolchain's own) instead of gold, for the two options below, which gold lacks or ignores:
///   - `--no-export-dynamic` undoes SwiftPM's `-export-dynamic`. Nothing loads a plugin into these executables, yet
///     exporting every symbol put 2.9 MB of dynamic symbol tables into each, which the loader searched and paged in
///     at every start.
///   - `-z pack-relative-relocs` stores the 118,000 relative relocations of a static Swift runtime as a 23 KB bitmap
///     instead of 2.8 MB of records (glibc 2.36 reads it).
///
///   Together: an idle host's RSS 31.6 → 27.8 MB, start → ready 30.5 → 27.5 ms (BENCHMARKS.md).
let strippedInRelease: [LinkerSetting] = [
    .unsafeFlags(
        [
            "-use-ld=lld", "-Xlinker", "-s", "-Xlinker", "--no-export-dynamic", "-Xlinker", "-z", "-Xlinker",
            "pack-relative-relocs",
        ],
        .when(configuration: .release))
]

let package = Package(
    name: "lattice-host",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "NATSClient", targets: ["NATSClient"]),
        .library(name: "LatticeCrypto", targets: ["LatticeCrypto"]),
        .library(name: "LatticeWire", targets: ["LatticeWire"]),
        .library(name: "LatticeHost", targets: ["LatticeHost"]),
        .executable(name: "lattice", targets: ["lattice"]),
        .executable(name: "lattice-host", targets: ["lattice-host"]),
        .executable(name: "lattice-bench", targets: ["lattice-bench"]),
        .executable(name: "httpserver-provider", targets: ["httpserver-provider"]),
        .executable(name: "keyvalue-provider", targets: ["keyvalue-provider"]),
        .library(name: "LatticeProvider", targets: ["LatticeProvider"]),
        .library(name: "LatticeOCI", targets: ["LatticeOCI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/swiftwasm/WasmKit", from: "0.4.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CNats",
            pkgConfig: "libnats",
            providers: [.apt(["libnats-dev"])]
        ),
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLibcrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "CLatticeSystem"),
        .target(name: "LatticeConcurrency"),
        .target(name: "LatticeSystemCalls"),
        .target(name: "CProviderBoot"),
        .target(
            name: "NATSClient",
            dependencies: [
                "CNats", "LatticeConcurrency", "LatticeCrypto", "LatticeSystemCalls",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "LatticeCrypto", dependencies: ["CSodium", "CLibcrypto"]),
        .target(name: "LatticeWire", dependencies: ["LatticeCrypto"]),
        .target(name: "LatticeDisplay", dependencies: ["LatticeWire", "LatticeCrypto"]),
        .target(
            name: "LatticeOCI",
            dependencies: [
                "LatticeCrypto", "LatticeSystemCalls",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "LatticeHost",
            dependencies: [
                "NATSClient", "LatticeConcurrency", "LatticeSystemCalls", "LatticeCrypto", "LatticeWire",
                "LatticeActors", "LatticeOCI",
                "CLatticeSystem", "CZlib",
                "HTTPServerCapability",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(
            name: "LatticeCommandLine",
            dependencies: ["LatticeHost", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "lattice-host",
            dependencies: [
                "LatticeHost", "NATSClient", "LatticeWire", "LatticeCrypto", "LatticeCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            linkerSettings: strippedInRelease
        ),
        .target(
            name: "LatticeActors",
            dependencies: [
                "LatticeWire", "LatticeCrypto",
                .product(name: "WasmKit", package: "WasmKit"),
            ]
        ),
        .target(
            name: "LatticeProvider",
            dependencies: [
                "NATSClient", "LatticeConcurrency", "LatticeSystemCalls", "LatticeWire", "LatticeCrypto",
                "CProviderBoot",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "HTTPServerCapability",
            dependencies: [
                "LatticeWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "httpserver-provider",
            dependencies: ["LatticeProvider", "HTTPServerCapability", "LatticeWire"],
            linkerSettings: strippedInRelease
        ),
        .executableTarget(
            name: "keyvalue-provider",
            dependencies: ["LatticeProvider", "LatticeWire"],
            linkerSettings: strippedInRelease
        ),
        .executableTarget(
            name: "test-provider",
            dependencies: ["LatticeProvider", "LatticeWire"],
            linkerSettings: strippedInRelease
        ),
        .executableTarget(
            name: "lattice-bench",
            dependencies: [
                "LatticeCrypto", "LatticeWire", "NATSClient", "LatticeHost", "LatticeActors", "HTTPServerCapability",
                "LatticeTesting",
            ]
        ),
        .executableTarget(
            name: "lattice",
            dependencies: [
                "LatticeCrypto", "LatticeWire", "NATSClient", "LatticeHost", "LatticeActors", "LatticeCommandLine",
                "LatticeOCI", "LatticeDisplay",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: strippedInRelease
        ),
        .target(name: "LatticeTesting", dependencies: ["NATSClient"]),
        .testTarget(name: "LatticeConcurrencyTests", dependencies: ["LatticeConcurrency"]),
        .testTarget(name: "LatticeSystemCallsTests", dependencies: ["LatticeSystemCalls"]),
        .testTarget(name: "NATSClientTests", dependencies: ["NATSClient", "LatticeConcurrency", "LatticeTesting"]),
        .testTarget(
            name: "LatticeCryptoTests",
            dependencies: ["LatticeCrypto", "LatticeTesting"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "LatticeWireTests", dependencies: ["LatticeWire", "LatticeCrypto", "LatticeTesting"]),
        .testTarget(name: "LatticeDisplayTests", dependencies: ["LatticeDisplay", "LatticeWire", "LatticeCrypto"]),
        .testTarget(name: "LatticeOCITests", dependencies: ["LatticeOCI", "LatticeCrypto", "LatticeTesting"]),
        .testTarget(name: "LatticeActorsTests", dependencies: ["LatticeActors", "LatticeWire", "LatticeCrypto"]),
        .testTarget(
            name: "HTTPServerCapabilityTests",
            dependencies: ["HTTPServerCapability", "LatticeWire", "LatticeTesting"]
        ),
        .testTarget(
            name: "LatticeProviderTests",
            dependencies: [
                "LatticeProvider", "LatticeHost", "LatticeTesting", "NATSClient", "LatticeWire", "LatticeCrypto",
                "LatticeOCI",
            ]
        ),
        .testTarget(
            name: "LatticeHostTests",
            dependencies: [
                "LatticeHost", "LatticeConcurrency", "LatticeTesting", "NATSClient", "LatticeWire", "LatticeCrypto",
            ]
        ),
    ]
)
