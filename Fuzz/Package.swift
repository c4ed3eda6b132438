// swift-tools-version:6.1
import PackageDescription

// libFuzzer harnesses for the code that reads untrusted input: the rule loader, the expression
// parser, the event decoder, and the templates with the HTML escaper. Build with the sanitizer flags in run.sh; see README.md.
let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]
let kit: Target.Dependency = .product(name: "TouchpointKit", package: "Touchpoint")

let package = Package(
    name: "TouchpointFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Touchpoint", path: "..")],
    targets: [
        .executableTarget(name: "fuzz-rules", dependencies: [kit], swiftSettings: strict),
        .executableTarget(name: "fuzz-expressions", dependencies: [kit], swiftSettings: strict),
        .executableTarget(name: "fuzz-events", dependencies: [kit], swiftSettings: strict),
        .executableTarget(name: "fuzz-templates", dependencies: [kit], swiftSettings: strict),
    ]
)
