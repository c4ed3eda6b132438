// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Touchpoint",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "touchpoint", targets: ["touchpoint"]),
        // The pipeline as a library, for the fuzz targets in Fuzz/ and for embedding.
        .library(
            name: "TouchpointKit",
            targets: ["TouchpointCore", "Expressions", "Events", "Rules", "Templates", "Scheduler", "Engine"]),
        // The channel adapters, for the delivery benchmark in Benchmarks/.
        .library(name: "TouchpointChannels", targets: ["Channels"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", exact: "2.1.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-http-types", exact: "1.8.0"),
    ],
    targets: [
        // Shared domain values: JSON, events, customers, time, diagnostics.
        .target(
            name: "TouchpointCore", dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        // The CEL-subset expression language used by `if:`.
        .target(name: "Expressions", dependencies: ["TouchpointCore"], swiftSettings: strict),
        // JSON Lines decoding of Segment-spec events.
        .target(name: "Events", dependencies: ["TouchpointCore"], swiftSettings: strict),
        // YAML rule files → validated rules, with positions.
        .target(
            name: "Rules",
            dependencies: ["TouchpointCore", "Expressions", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict),
        // Mustache templates per channel and locale, strict rendering, SMS segmenting.
        .target(
            name: "Templates",
            dependencies: [
                "TouchpointCore", .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict),
        // Channel and send-time choice, caps, quiet hours.
        .target(name: "Scheduler", dependencies: ["TouchpointCore"], swiftSettings: strict),
        // The deterministic engine that wires ingest → rules → scheduler → render.
        .target(
            name: "Engine",
            dependencies: ["TouchpointCore", "Expressions", "Events", "Rules", "Templates", "Scheduler"],
            swiftSettings: strict),
        // Durable state: profiles, timers, outbox, offsets (GRDB over SQLite, WAL).
        .target(
            name: "Store",
            dependencies: ["TouchpointCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        // The self-contained HTML preview of a dry-run.
        .target(
            name: "Preview", dependencies: ["TouchpointCore", "Templates", "Engine"], swiftSettings: strict),
        // `touchpoint run`: ingestion, the live engine, the durable outbox and the dispatcher.
        .target(
            name: "Daemon",
            dependencies: [
                "TouchpointCore", "Events", "Rules", "Templates", "Engine", "Store", "Channels", "Tracking",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // The HTTP side of the daemon: tracking links and pixel, unsubscribe, Segment ingestion,
        // provider webhooks, metrics (SPEC §9).
        .target(
            name: "Tracking",
            dependencies: [
                "TouchpointCore", "Events", "Rules", "Store", "Templates",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // libcurl, with typed shims around the variadic curl_easy_setopt.
        .systemLibrary(
            name: "CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        // Channel adapters over libcurl.
        .target(
            name: "Channels",
            dependencies: ["TouchpointCore", "CCurl", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        .executableTarget(
            name: "touchpoint",
            dependencies: [
                "TouchpointCore", "Engine", "Rules", "Templates", "Events", "Scheduler", "Channels",
                "Preview",
                "Store", "Daemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        .testTarget(name: "TouchpointCoreTests", dependencies: ["TouchpointCore"], swiftSettings: strict),
        .testTarget(name: "ExpressionsTests", dependencies: ["Expressions"], swiftSettings: strict),
        .testTarget(name: "EventsTests", dependencies: ["Events"], swiftSettings: strict),
        .testTarget(name: "RulesTests", dependencies: ["Rules", "Expressions"], swiftSettings: strict),
        // swift-mustache is the reference implementation the differential tests hold ours to.
        .testTarget(
            name: "TemplatesTests",
            dependencies: [
                "Templates", .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict),
        .testTarget(name: "SchedulerTests", dependencies: ["Scheduler"], swiftSettings: strict),
        .testTarget(
            name: "EngineTests",
            dependencies: ["Engine", "Rules", "Templates", "Events", "Scheduler", "TouchpointCore"],
            swiftSettings: strict),
        .testTarget(
            name: "PreviewTests",
            dependencies: ["Preview", "Engine", "Rules", "Templates", "TouchpointCore"], swiftSettings: strict
        ),
        .testTarget(
            name: "DaemonTests",
            dependencies: ["Daemon", "Engine", "Store", "Channels", "Rules", "TouchpointCore"],
            swiftSettings: strict),
        .testTarget(name: "StoreTests", dependencies: ["Store"], swiftSettings: strict),
        .testTarget(
            name: "TrackingTests",
            dependencies: [
                "Tracking", "Daemon", "Engine", "Rules", "Templates", "Store", "Channels", "Events",
                "TouchpointCore",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(name: "ChannelsTests", dependencies: ["Channels", "CCurl"], swiftSettings: strict),
    ]
)
