// swift-tools-version:6.1
import Foundation
import PackageDescription

// iris-bench lives in its own package so that the engine's build and CI do not need SQLite and
// RocksDB (the peers it measures against). It depends on the engine two folders up; SwiftPM names
// a path dependency after its folder, so the identity is read from the path.
let engine = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../..").standardizedFileURL
let enginePackage = engine.lastPathComponent.lowercased()

let package = Package(
    name: "IrisBench",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "iris-bench", targets: ["iris-bench"]),
    ],
    dependencies: [
        .package(path: engine.path),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CRocksDB", pkgConfig: "rocksdb", providers: [.apt(["librocksdb-dev"])]),
        .executableTarget(
            name: "iris-bench",
            dependencies: [
                "CSQLite", "CRocksDB",
                .product(name: "IrisLog", package: enginePackage),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
