import Metrics
import IrisReplication

/// The node's own metrics (SPEC.md §14.6), through swift-metrics: `irisd --metrics` exports
/// them, with IrisLog's (`iris_log_*`: appends, groups, fdatasync latency), in Prometheus form.
struct NodeMetrics: Sendable {
    /// Client appends committed.
    let commits = Counter(label: "iris_commits_total")
    /// Time from a client append reaching its partition to its commit.
    let commitLatency = Timer(label: "iris_commit_latency_seconds", preferredDisplayUnit: .seconds)
    /// Leaderships this node's replicas took (elections won).
    let elections = Counter(label: "iris_elections_won_total")
    /// Partitions this node leads now.
    let leaders = Gauge(label: "iris_leaders")
    /// MQTT connections past CONNECT (the server's count of sessions connected).
    let mqttConnections = Gauge(label: "iris_mqtt_connections")
    /// MQTT sessions kept (connected, or offline with clean session 0).
    let mqttSessions = Gauge(label: "iris_mqtt_sessions")
    /// MQTT connections whose reading is paused by their shard's admission control (SPEC.md §16.3).
    let mqttPausedConnections = Gauge(label: "iris_mqtt_paused_connections")
    /// MQTT connections closed on accept because the cap was reached, as a running total.
    let mqttRefusedConnections = Gauge(label: "iris_mqtt_refused_connections")
    /// Client-port connections (clients and peers) closed on accept because the cap was
    /// reached, as a running total.
    let clientRefusedConnections = Gauge(label: "iris_client_refused_connections")
    /// Messages in the router's topic indexes, and the indexes' bytes (bytes per indexed message
    /// is their ratio).
    let mqttIndexedMessages = Gauge(label: "iris_mqtt_indexed_messages")
    let mqttIndexBytes = Gauge(label: "iris_mqtt_index_bytes")

    /// Bytes of AppendRequests queued for `peer`.
    static func peerQueueBytes(_ peer: NodeID) -> Gauge {
        Gauge(label: "iris_peer_queue_bytes", dimensions: [("peer", String(peer.rawValue))])
    }

    /// Messages dropped for `peer` (unreachable or queue full), as a running total.
    static func peerDropped(_ peer: NodeID) -> Gauge {
        Gauge(label: "iris_peer_dropped_messages", dimensions: [("peer", String(peer.rawValue))])
    }
}
