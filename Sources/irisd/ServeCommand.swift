import ArgumentParser
import IrisDaemon
import IrisReplication
import IrisTransport
import Logging
import ServiceLifecycle

/// `irisd [serve] --data DIR [--id N --cluster 1=HOST:PORT,...] [--partitions P] [--replicas R]
/// [--tls-dir DIR] [--metrics HOST:PORT] [--mqtt HOST:PORT|none] [--mqtt-deny-subscribe FILTER]...
/// [--mqtt-checkpoint-interval S] [--mqtt-max-connections N] [--mqtt-listen-backlog N]
/// [--max-client-connections N]` (ARCHITECTURE §6; the caps: SPEC.md §14.7).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run a node (the default command).",
        discussion: """
            Without --cluster, a single node (ID 1) serves clients on 127.0.0.1:7100 and MQTT on \
            127.0.0.1:1883 with one partition of one replica per event loop (\(NodeDefaults.singleNodePartitions) \
            here). With --cluster, node --id of the \
            listed nodes serves peers and clients on its own entry's address; every node of a \
            cluster MUST be started with the same --cluster, --partitions and --replicas. The data \
            directory remembers them and refuses a different configuration; without --partitions it keeps the count it \
            was created with. SIGTERM shuts down \
            cleanly; kill -9 loses nothing acknowledged.
            """)

    @Option(name: .long, help: "Data directory (created if missing).")
    var data: String

    @Option(name: .long, help: "This node's ID in --cluster (default 1).")
    var id: UInt64?

    @Option(name: .long, help: "Every node: 1=HOST:PORT,2=HOST:PORT,... (default 1=127.0.0.1:7100).")
    var cluster: String?

    @Option(name: .long, help: "Partitions, fixed when the data directory is created (default: what it was created with; for a new one \(NodeDefaults.clusterPartitions) in a cluster of several nodes, else one per event loop: \(NodeDefaults.singleNodePartitions) here).")
    var partitions: Int?

    @Option(name: .long, help: "Replicas per partition: 1, 3 or 5, at most the number of nodes (default min(3, nodes)).")
    var replicas: Int?

    @Option(name: .customLong("tls-dir"), help: "Mutual TLS between nodes and clients with the certificates in DIR (see `irisd certs`).")
    var tlsDirectory: String?

    @Option(name: .long, help: "Serve Prometheus metrics on HOST:PORT at /metrics.")
    var metrics: String?

    @Option(name: .long, help: "Serve MQTT 3.1.1 on HOST:PORT, or in a cluster ID=HOST:PORT,... for every node (this node serves on its own entry), or 'none' (default 127.0.0.1:1883 without --cluster, none with it).")
    var mqtt: String?

    @Option(name: .customLong("mqtt-deny-subscribe"), help: "Refuse subscriptions this topic filter covers with SUBACK 0x80 (repeatable).")
    var mqttDenySubscribe: [String] = []

    @Option(name: .customLong("mqtt-checkpoint-interval"), help: "Seconds between checkpoints of a partition's router state while records come (also every 64 MiB read, and at shutdown; default 30).")
    var mqttCheckpointInterval: Int = 30

    @Option(name: .customLong("mqtt-max-connections"), help: "Most MQTT connections open at once; more are closed as soon as they are accepted (default: what the open-file limit leaves after the node's own descriptors and the client port's).")
    var mqttMaxConnections: Int?

    @Option(name: .customLong("mqtt-listen-backlog"), help: "The MQTT listener's backlog, 1 ... 65535; the kernel caps it at net.core.somaxconn (default 1024).")
    var mqttListenBacklog: Int = 1_024

    @Option(name: .customLong("max-client-connections"), help: "Most connections open at once on the client port, clients and peers (default 1024, or less when the open-file limit is low).")
    var maxClientConnections: Int?

    func run() async throws {
        var logger = Logger(label: "irisd")
        logger.logLevel = .info
        let configuration = try nodeConfiguration()
        let metricsEndpoint = try metricsAddress()
        let registry = metricsEndpoint.map { _ in MetricsServer.bootstrapRegistry() }
        let server: NodeServer
        do {
            server = try NodeServer(configuration: configuration, logger: logger)
        } catch {
            logger.error("\(error)")
            throw ExitCode(1)
        }
        var services: [any Service] = [server]
        if let metricsEndpoint, let registry {
            services.append(MetricsServer(endpoint: metricsEndpoint, registry: registry, node: server, logger: logger))
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// `--mqtt`: an address, `none`, or by default 127.0.0.1:1883 for a single node.
    private func mqttEndpoint() throws(ValidationError) -> Endpoint? {
        guard let mqtt else { return cluster == nil ? Endpoint(host: "127.0.0.1", port: 1883) : nil }
        if mqtt == "none" { return nil }
        guard let endpoint = Endpoint(parsing: Substring(mqtt)) else {
            throw ValidationError("--mqtt: expected HOST:PORT or none, got \(mqtt)")
        }
        return endpoint
    }

    private func metricsAddress() throws(ValidationError) -> Endpoint? {
        guard let metrics else { return nil }
        guard let endpoint = Endpoint(parsing: Substring(metrics)) else {
            throw ValidationError("--metrics: expected HOST:PORT, got \(metrics)")
        }
        return endpoint
    }

    private func nodeConfiguration() throws(ValidationError) -> NodeConfiguration {
        let members: [NodeID: Endpoint]
        if let cluster {
            members = try Self.parseCluster(cluster)
        } else {
            members = [NodeID(1): Endpoint(host: "127.0.0.1", port: 7100)]
        }
        let nodeID = NodeID(id ?? (cluster == nil ? 1 : 0))
        guard nodeID.rawValue != 0 else { throw ValidationError("--id is required with --cluster") }
        guard members[nodeID] != nil else {
            throw ValidationError("--id \(nodeID.rawValue) is not in --cluster (\(members.keys.map(\.rawValue).sorted()))")
        }
        let partitionCount = partitions ?? NodeDefaults.storedPartitionCount(dataDirectory: data)
            ?? (members.count == 1 ? NodeDefaults.singleNodePartitions : NodeDefaults.clusterPartitions)
        guard (1...65_536).contains(partitionCount) else { throw ValidationError("--partitions must be 1 ... 65536") }
        let replicaCount = replicas ?? min(3, members.count)
        guard [1, 3, 5].contains(replicaCount), replicaCount <= members.count else {
            throw ValidationError("--replicas must be 1, 3 or 5 and at most the \(members.count) nodes of --cluster")
        }
        var configuration = NodeConfiguration(
            dataDirectory: data, nodeID: nodeID, members: members, partitionCount: partitionCount, replicaCount: replicaCount)
        configuration.tlsDirectory = tlsDirectory
        if let mqtt, mqtt.contains("=") {
            let peers = try Self.parseCluster(mqtt, flag: "--mqtt")
            guard let own = peers[nodeID] else { throw ValidationError("--mqtt: no entry for this node (\(nodeID.rawValue))") }
            configuration.mqttEndpoint = own
            configuration.mqttPeers = peers
        } else {
            configuration.mqttEndpoint = try mqttEndpoint()
        }
        configuration.mqttDenyFilters = mqttDenySubscribe
        guard mqttCheckpointInterval >= 1 else { throw ValidationError("--mqtt-checkpoint-interval: at least 1 second, got \(mqttCheckpointInterval)") }
        configuration.mqttCheckpointInterval = .seconds(mqttCheckpointInterval)
        guard (1...65_535).contains(mqttListenBacklog) else { throw ValidationError("--mqtt-listen-backlog: 1 ... 65535, got \(mqttListenBacklog)") }
        configuration.mqttListenBacklog = mqttListenBacklog
        configuration.mqttMaxConnections = mqttMaxConnections
        configuration.clientMaxConnections = maxClientConnections
        return configuration
    }

    /// Parses `1=HOST:PORT,2=HOST:PORT,...`.
    static func parseCluster(_ text: String, flag: String = "--cluster") throws(ValidationError) -> [NodeID: Endpoint] {
        var members: [NodeID: Endpoint] = [:]
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let id = UInt64(parts[0]), id > 0, let endpoint = Endpoint(parsing: parts[1]) else {
                throw ValidationError("\(flag): expected ID=HOST:PORT with ID >= 1, got \(entry)")
            }
            guard members.updateValue(endpoint, forKey: NodeID(id)) == nil else {
                throw ValidationError("\(flag): node \(id) is listed twice")
            }
        }
        guard !members.isEmpty else { throw ValidationError("\(flag) lists no node") }
        return members
    }
}
