// swift-tools-version:6.1
import PackageDescription

// A separate package so the benchmark world never ships with the product: it uses the engine only through
// the public `TouchpointKit` library of the root package.
let package = Package(
    name: "TouchpointSimulator",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Touchpoint", path: "..")],
    targets: [
        .executableTarget(
            name: "touchpoint-simulate",
            dependencies: [.product(name: "TouchpointKit", package: "Touchpoint")],
            swiftSettings: [.swiftLanguageMode(.v6)])
    ]
)
