// swift-tools-version:6.0
// Steward's libFuzzer targets (docs/fuzzing.md), a package of their own so
// that the normal build never links them: each is an executable whose main
// is libFuzzer's driver, so it builds only with `-sanitize=fuzzer`
// (scripts/fuzz.sh).
// Each calls one entry of the main package's StewardFuzzing library, which
// runs the production code.
import PackageDescription

let package = Package(
    name: "StewardFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Named, so that the product below is found whatever the checkout's folder is called.
        .package(name: "Steward", path: ".."),
    ],
    targets: [
        // LLVMFuzzerRunDriver, from the libFuzzer that -sanitize=fuzzer links.
        .systemLibrary(name: "CLibFuzzer", path: "Targets/CLibFuzzer"),
        // What the targets' executables share: running an input, and main.
        .target(name: "FuzzDriver", dependencies: ["CLibFuzzer"], path: "Targets/FuzzDriver"),
    ] + ["frames", "requests", "csv-import", "connection-text"].map { name in
        .executableTarget(
            name: "fuzz-\(name)",
            dependencies: ["FuzzDriver", .product(name: "StewardFuzzing", package: "Steward")],
            path: "Targets/fuzz-\(name)"
        )
    }
)
