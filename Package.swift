// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Iris",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "IrisLog", targets: ["IrisLog"]),
        .executable(name: "iris-example", targets: ["iris-example"]),
        .executable(name: "iris-power-loss", targets: ["iris-power-loss"]),
        .library(name: "IrisReplication", targets: ["IrisReplication"]),
        .executable(name: "iris-sim", targets: ["iris-sim"]),
        .executable(name: "iris-log", targets: ["iris-log"]),
        .executable(name: "iris-crash", targets: ["iris-crash"]),
        .executable(name: "irisd", targets: ["irisd"]),
        .library(name: "IrisClient", targets: ["IrisClient"]),
        .executable(name: "iris-bench-cluster", targets: ["iris-bench-cluster"]),
        .executable(name: "iris-mqtt-bench", targets: ["iris-mqtt-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(name: "CURing", pkgConfig: "liburing", providers: [.apt(["liburing-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .target(name: "CIrisSystem"),
        .target(
            name: "IrisLog",
            dependencies: [
                "CIrisSystem", "CURing", "CZstd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        // Pure, deterministic replication core: no clock, randomness, disk or socket; entries are IrisLog frames.
        .target(name: "IrisReplication", dependencies: ["IrisLog"]),
        // Seeded replication simulator (network, disks, clock, faults) and invariant checker; it runs
        // each replica through IrisNode's ReplicaDriver, the one irisd runs.
        .target(name: "IrisSimulation", dependencies: ["IrisNode", "IrisReplication", "IrisLog", .product(name: "Logging", package: "swift-log")]),
        .executableTarget(name: "iris-sim", dependencies: ["IrisSimulation", "IrisReplication", "IrisLog"], path: "Tools/iris-sim"),
        .testTarget(name: "IrisReplicationTests", dependencies: ["IrisReplication", "IrisSimulation", "IrisLog"]),
        .target(name: "IrisLogSimulation", dependencies: ["IrisLog", .product(name: "Logging", package: "swift-log")]),
        .executableTarget(name: "iris-power-loss", dependencies: ["IrisLogSimulation"], path: "Tools/iris-power-loss"),
        .executableTarget(
            name: "iris-example",
            dependencies: ["IrisLog", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tools/iris-example"
        ),
        .executableTarget(
            name: "iris-crash",
            dependencies: [
                "IrisLog", "IrisLogInspection", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tools/iris-crash"
        ),
        // libFuzzer targets: build one alone with Fuzz/run.sh (see there); in a normal build each is an empty executable.
        .executableTarget(name: "FuzzFrameDecoder", dependencies: ["IrisLog", "CIrisSystem"], path: "Fuzz/FuzzFrameDecoder"),
        .executableTarget(name: "FuzzRecordDecoder", dependencies: ["IrisLog", "CIrisSystem"], path: "Fuzz/FuzzRecordDecoder"),
        .executableTarget(name: "FuzzSegmentRecovery", dependencies: ["IrisLog", "CIrisSystem"], path: "Fuzz/FuzzSegmentRecovery"),
        .executableTarget(name: "FuzzIndexFile", dependencies: ["IrisLog", "CIrisSystem"], path: "Fuzz/FuzzIndexFile"),
        .executableTarget(name: "FuzzCheckpoint", dependencies: ["IrisLog", "CIrisSystem"], path: "Fuzz/FuzzCheckpoint"),
        .executableTarget(name: "FuzzPeerWire", dependencies: ["IrisReplication", "IrisLog"], path: "Fuzz/FuzzPeerWire"),
        .executableTarget(name: "FuzzClientFrame", dependencies: ["IrisClientProtocol", "IrisLog", "CIrisSystem"], path: "Fuzz/FuzzClientFrame"),
        .executableTarget(name: "FuzzMQTTPacket", dependencies: ["IrisMQTT"], path: "Fuzz/FuzzMQTTPacket"),
        .testTarget(name: "IrisLogTests", dependencies: ["IrisLog", "IrisLogSimulation"]),
        // What `iris-log` uses (verify, repair, index rebuild, follow); kept out of the embeddable engine.
        .target(name: "IrisLogInspection", dependencies: ["IrisLog", .product(name: "Logging", package: "swift-log")]),
        .executableTarget(
            name: "iris-log",
            dependencies: [
                "IrisLog", "IrisLogInspection", "IrisClient", "IrisClientProtocol", "IrisTransport",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/iris-log"
        ),
        .testTarget(name: "IrisLogCLITests", dependencies: ["IrisLog"]),
        // The node's pure and durable pieces: partition placement, the hard-state and cluster-identity files.
        // CIrisSystem for CRC32C, the same function IrisLog checksums its files with.
        .target(name: "IrisNode", dependencies: ["IrisReplication", "IrisLog"]),
        .testTarget(
            name: "IrisNodeTests",
            dependencies: ["IrisNode", "IrisReplication", "IrisLog", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        // The MQTT router's pure core: subscription matching and the per-partition topic index (SPEC §16).
        .target(name: "IrisRouter", dependencies: ["IrisMQTT", "IrisLog"]),
        .testTarget(
            name: "IrisRouterTests",
            dependencies: ["IrisRouter", "IrisMQTT", "IrisLog", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        // The client protocol's pure codec (SPEC §12), shared by the server and IrisClient; fuzzed.
        .target(name: "IrisClientProtocol", dependencies: ["IrisLog"]),
        // The MQTT 3.1.1 codec (SPEC §15): packets, strict decoder, topic names and filters. Pure
        // Swift, no Foundation or NIO; fuzzed.
        .target(name: "IrisMQTT"),
        .testTarget(
            name: "IrisMQTTTests",
            dependencies: ["IrisMQTT", .product(name: "PropertyBased", package: "swift-property-based")],
            exclude: ["Golden/make-golden.py"]
        ),
        // The MQTT edge: SwiftNIO listener and per-connection handler, one timing wheel per event loop
        // for connect timeouts and keep-alives; hands packets to the router through a delegate.
        .target(
            name: "IrisRouterEdge",
            dependencies: [
                "IrisMQTT",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "IrisRouterEdgeTests",
            dependencies: [
                "IrisRouterEdge", "IrisMQTT",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // SwiftNIO connections: one per node pair for peers (SPEC §9.13), client connections, mutual TLS.
        .target(
            name: "IrisTransport",
            dependencies: [
                "IrisReplication", "IrisClientProtocol", "IrisNode",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The Swift client library: finds leaders, follows redirects, retries idempotently.
        .target(
            name: "IrisClient",
            dependencies: [
                "IrisClientProtocol", "IrisLog",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A running node: partition replicas on real logs, the transport, metrics.
        .target(
            name: "IrisDaemon",
            dependencies: [
                "IrisNode", "IrisTransport", "IrisClient", "IrisClientProtocol", "IrisReplication", "IrisLog", "IrisMQTT", "IrisRouter", "IrisRouterEdge",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "irisd",
            dependencies: [
                "IrisDaemon", "IrisTransport", "IrisNode", "IrisReplication",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `iris-bench cluster`: irisd nodes on loopback under closed-loop appends (see Tools/iris-bench and
        // BENCHMARKS.md). Here rather than in the iris-bench package so that it shares irisd's build of SwiftNIO.
        .executableTarget(
            name: "iris-bench-cluster",
            dependencies: ["IrisClient", "IrisLog", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tools/iris-bench/Cluster"
        ),
        // MQTT load generator (pairs and fan-out) for irisd and Mosquitto alike; see Tools/iris-mqtt-bench.
        .executableTarget(
            name: "iris-mqtt-bench",
            dependencies: [
                "IrisMQTT", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tools/iris-mqtt-bench",
            exclude: ["vs-mosquitto.sh", "results"]
        ),
        .testTarget(
            name: "IrisNetworkTests",
            dependencies: ["IrisDaemon", "IrisTransport", "IrisClient", "IrisClientProtocol", "IrisNode", "IrisReplication", "IrisLog",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"), .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
