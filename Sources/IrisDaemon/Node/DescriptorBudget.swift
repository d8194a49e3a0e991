import IrisRouterEdge

/// How a node splits its open-file limit: first a reserve for its own descriptors (each hosted
/// partition's log, hard state and checkpoint files, peer connections, the runtime's own), then
/// caps on connections to the client port (clients and peers) and to the MQTT port.
///
/// Connections past a cap are closed at once (`ConnectionCap`), so a flood of them never takes
/// the descriptors the node needs to write its logs or the runtime needs to work: with none
/// left, a node could not open its next segment, and the runtime can abort the process.
package struct DescriptorBudget: Equatable, Sendable {
    /// Descriptors reserved whatever the partitions: runtime, peers, metrics, listeners.
    package static let baseReserve = 256
    /// Descriptors reserved per hosted partition: its log's segment, index and directory
    /// handles, hard state and router checkpoint files, with room for a segment roll and a read.
    package static let perPartitionReserve = 8
    /// The default cap on client-port connections, when that many are available.
    package static let defaultClientConnections = 1_024

    /// The most connections the client port admits at once (clients and peers).
    package let clientConnections: Int
    /// The most connections the MQTT port admits at once; nil when the node serves no MQTT.
    package let mqttConnections: Int?
    /// Descriptors kept for the node itself.
    package let reserve: Int

    /// The budget for `limit` open files and `hostedPartitions` partitions. A cap left nil takes
    /// its default: clients 1,024 (or an eighth of what the reserve leaves, with MQTT, if that
    /// is less), MQTT all the rest.
    ///
    /// - Throws: `NodeError.invalidConfiguration` when the limit leaves no descriptor for
    ///   connections, or the caps asked for need more than it leaves; the message names the
    ///   figures and how to raise the limit.
    package init(
        limit: DescriptorLimit, hostedPartitions: Int, clientConnections: Int?, mqttConnections: Int?, servesMQTT: Bool
    ) throws(NodeError) {
        precondition(hostedPartitions >= 0)
        reserve = Self.baseReserve + Self.perPartitionReserve * hostedPartitions
        let available = limit.soft - reserve
        let advice = "raise the open-file limit (ulimit -n, systemd LimitNOFILE=); it is \(limit.soft) (hard limit \(limit.hard))"
        guard available >= (servesMQTT ? 2 : 1) else {
            throw .invalidConfiguration(
                "the node keeps \(reserve) descriptors for itself (\(Self.baseReserve) + \(Self.perPartitionReserve) for each of its \(hostedPartitions) partitions), which leaves none for connections: \(advice)")
        }
        if let clientConnections, clientConnections < 1 {
            throw .invalidConfiguration("--max-client-connections must be at least 1, got \(clientConnections)")
        }
        if let mqttConnections, mqttConnections < 1 {
            throw .invalidConfiguration("--mqtt-max-connections must be at least 1, got \(mqttConnections)")
        }
        guard servesMQTT else {
            let clients = clientConnections ?? min(Self.defaultClientConnections, available)
            guard clients <= available else {
                throw .invalidConfiguration(
                    "--max-client-connections \(clients) needs more descriptors than the \(available) left after the node's own \(reserve): \(advice)")
            }
            self.clientConnections = clients
            self.mqttConnections = nil
            return
        }
        let clients = clientConnections ?? min(Self.defaultClientConnections, max(1, available / 8))
        let mqtt = mqttConnections ?? (available - clients)
        guard mqtt >= 1, clients + mqtt <= available else {
            throw .invalidConfiguration(
                "\(clients) client and \(mqtt) MQTT connections need \(clients + mqtt) descriptors, but \(available) are left after the node's own \(reserve): lower --max-client-connections or --mqtt-max-connections, or \(advice)")
        }
        self.clientConnections = clients
        self.mqttConnections = mqtt
    }
}
