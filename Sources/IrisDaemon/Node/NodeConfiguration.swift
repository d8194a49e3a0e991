import IrisNode
import IrisReplication
import IrisTransport

/// Everything a node is started with (`irisd`'s flags, ARCHITECTURE §6).
package struct NodeConfiguration: Sendable {
    /// The data directory: `cluster`, and `partitions/K/` for each partition hosted here.
    package var dataDirectory: String
    /// This node.
    package var nodeID: NodeID
    /// Every node of the cluster and its address, this one included.
    package var members: [NodeID: Endpoint]
    /// P: partitions of the cluster, fixed when the data directory is created.
    package var partitionCount: Int
    /// R: replicas per partition (1, 3 or 5, at most the number of nodes).
    package var replicaCount: Int
    /// Length of one tick of the replication clock.
    package var tickMilliseconds: Int = 25
    /// Ticks between a leader's looks at handing leadership to its partition's preferred
    /// leader (SPEC.md §14.5): 80 ticks = 2 s by default.
    package var leaderBalanceIntervalTicks: Int = 80
    /// Directory of the cluster CA and certificates; nil for plain TCP.
    package var tlsDirectory: String?
    /// Most peer-message bytes queued for one peer; beyond it bulk messages are dropped.
    package var peerQueueBytesMax: Int = 32 << 20
    /// Where to serve MQTT; nil for no MQTT.
    package var mqttEndpoint: Endpoint?
    /// Every node's MQTT address (a cluster's `--mqtt ID=HOST:PORT,...`): clients whose session
    /// another node owns are relayed there.
    package var mqttPeers: [NodeID: Endpoint] = [:]
    /// Topic filters whose subscriptions are refused with 0x80 (`--mqtt-deny-subscribe`).
    package var mqttDenyFilters: [String] = []
    /// How often a partition's router state is checkpointed while records come (`--mqtt-checkpoint-interval`).
    package var mqttCheckpointInterval: Duration = .seconds(30)
    /// The most MQTT connections open at once (`--mqtt-max-connections`); nil: what the
    /// open-file limit leaves (`DescriptorBudget`).
    package var mqttMaxConnections: Int?
    /// The MQTT listener's backlog (`--mqtt-listen-backlog`), capped by `net.core.somaxconn`.
    package var mqttListenBacklog: Int = 1_024
    /// The most connections open at once on the client port, clients and peers
    /// (`--max-client-connections`); nil: 1,024 or less (`DescriptorBudget`).
    package var clientMaxConnections: Int?

    /// A node configuration; see the properties.
    package init(dataDirectory: String, nodeID: NodeID, members: [NodeID: Endpoint], partitionCount: Int, replicaCount: Int) {
        self.dataDirectory = dataDirectory
        self.nodeID = nodeID
        self.members = members
        self.partitionCount = partitionCount
        self.replicaCount = replicaCount
    }

    /// This node's own address.
    package var address: Endpoint {
        guard let address = members[nodeID] else { preconditionFailure("validated: the node is a member") }
        return address
    }

    /// The cluster's ID: derived from the member IDs, P and R (FNV-1a), so every node started
    /// with the same `--cluster`, `--partitions` and `--replicas` agrees on it without
    /// coordination, and a node started with another cluster's settings is refused.
    package var clusterID: ClusterID {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ value: UInt64) {
            for shift in stride(from: 0, to: 64, by: 8) {
                hash ^= (value >> UInt64(shift)) & 0xFF
                hash = hash &* 0x0000_0100_0000_01B3
            }
        }
        for member in members.keys.sorted() { mix(member.rawValue) }
        mix(UInt64(partitionCount))
        mix(UInt64(replicaCount))
        return ClusterID(hash == 0 ? 1 : hash)
    }
}
