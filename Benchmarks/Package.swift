// swift-tools-version:6.1
import PackageDescription

// Benchmarks live in their own package so the root package's build and tests never compile them.
// Build in release: `swift build -c release --package-path Benchmarks`.
let package = Package(
    name: "TouchpointBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Named, so the product reference below does not depend on the checkout's folder name.
        .package(name: "Touchpoint", path: "..")
    ],
    targets: [
        // Messages per second through a real channel adapter to a local sink (webhook or SMTP).
        .executableTarget(
            name: "touchpoint-bench-delivery",
            dependencies: [.product(name: "TouchpointChannels", package: "Touchpoint")],
            swiftSettings: [.swiftLanguageMode(.v6)]),
        // Deterministic Segment-shaped event files for the replay benchmarks; depends on nothing.
        .executableTarget(
            name: "touchpoint-generate",
            swiftSettings: [.swiftLanguageMode(.v6)]),
    ]
)
