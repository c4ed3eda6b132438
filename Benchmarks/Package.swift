// swift-tools-version:6.1
import PackageDescription

// Benchmarks live in their own package so the root package's build and tests never compile them.
// Build in release: `swift build -c release --package-path Benchmarks`.
let package = Package(
    name: "TouchpointBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Named, so the product reference below does not depend on the checkout's folder name.
        .package(name: "Touchpoint", path: ".."),
        // In-process time and allocation figures (`swift package benchmark`); malloc counts need the trait.
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Messages per second through a real channel adapter to a local sink (webhook or SMTP).
        .executableTarget(
            name: "touchpoint-bench-delivery",
            dependencies: [.product(name: "TouchpointChannels", package: "Touchpoint")],
            swiftSettings: [.swiftLanguageMode(.v6)]),
        // The dry-run path with a synchronous main, for callgrind instruction counts.
        .executableTarget(
            name: "touchpoint-bench-replay",
            dependencies: [.product(name: "TouchpointKit", package: "Touchpoint")],
            swiftSettings: [.swiftLanguageMode(.v6)]),
        // ordo-one benchmarks: time and mallocs per event on the replay hot path.
        .executableTarget(
            name: "ReplayBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "TouchpointKit", package: "Touchpoint"),
            ],
            path: "Benchmarks/ReplayBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
        // Deterministic Segment-shaped event files for the replay benchmarks; depends on nothing.
        .executableTarget(
            name: "touchpoint-generate",
            swiftSettings: [.swiftLanguageMode(.v6)]),
    ]
)
