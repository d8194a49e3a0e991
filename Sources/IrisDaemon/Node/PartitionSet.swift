import IrisLog
import IrisNode
import IrisReplication
import Logging

/// Opens the partitions a node hosts, after checking the data directory belongs to this
/// cluster configuration (SPEC.md §11.2, §14.1).
enum PartitionSet {
    /// Largest frame a client batch may seal to, for every replica (SPEC.md §9.11).
    static let frameBytesMax = 1 << 20
    /// Most frame bytes in one AppendRequest.
    static let messageBytesMax = 1 << 20

    /// The replica settings every partition of a node uses (SPEC.md §14.2).
    static func replicaSettings(nodeID: NodeID, members: [NodeID]) throws(ConfigurationError) -> ReplicaConfiguration {
        try ReplicaConfiguration(
            nodeID: nodeID, members: members,
            electionTimeoutTicksMin: 12, electionTimeoutTicksMax: 24, heartbeatIntervalTicks: 3,
            replicationRetryTicks: 8, inflightBatchesMax: 32, inflightBytesMax: 8 << 20,
            messageBytesMax: messageBytesMax, frameBytesMax: frameBytesMax, uncommittedAppendsMax: 1024, heldMessagesMax: 256)
    }

    /// The configuration of every partition log: writes return once written, and the replica
    /// driver syncs (SPEC.md §9.3); frames up to the replicas' `frameBytesMax`.
    static func logConfiguration() -> LogConfiguration {
        var configuration = LogConfiguration()
        configuration.durability = .none
        configuration.batchBytesMax = (1 << 20) - 4096
        configuration.recordBytesMax = (1 << 20) - 4096
        return configuration
    }

    static func open(
        configuration: NodeConfiguration, placement: Placement, sender: any PeerSender, metrics: NodeMetrics, logger: Logger
    ) throws(NodeError) -> [PartitionID: PartitionReplica] {
        let storage = PosixStorage()
        let data = configuration.dataDirectory
        let partitionsDirectory = data + "/partitions"
        do throws(StorageError) {
            for directory in [data, partitionsDirectory] where !storage.fileExists(directory) {
                try storage.createDirectory(directory)
                try storage.syncDirectory(parent(of: directory))
            }
        } catch {
            throw .storage(error)
        }
        let identity = ClusterIdentity(
            clusterID: configuration.clusterID, nodeID: configuration.nodeID,
            partitionCount: configuration.partitionCount, replicaCount: configuration.replicaCount)
        do throws(ClusterIdentityError) {
            // P and R first: a changed flag is named as such, not as another cluster (SPEC §14.1).
            if let stored = try ClusterIdentityFile.load(path: data + "/cluster", storage: storage) {
                if stored.partitionCount != identity.partitionCount {
                    throw .partitionCountMismatch(
                        path: data + "/cluster", stored: stored.partitionCount, configured: identity.partitionCount)
                }
                if stored.replicaCount != identity.replicaCount {
                    throw .replicaCountMismatch(
                        path: data + "/cluster", stored: stored.replicaCount, configured: identity.replicaCount)
                }
            }
            let outcome = try ClusterIdentityFile.check(identity, path: data + "/cluster", storage: storage)
            if outcome == .created { logger.info("new data directory \(data): \(identity)") }
        } catch {
            throw .identity(error)
        }
        var replicas: [PartitionID: PartitionReplica] = [:]
        let hosted = placement.partitions(on: configuration.nodeID)
        let recentFramesBytes = PartitionReplica.recentFramesNodeBytes / max(1, hosted.count)
        for partition in hosted {
            let directory = "\(partitionsDirectory)/\(partition.rawValue)"
            let log: Log
            do {
                log = try Log.open(directory: directory, configuration: logConfiguration(), logger: logger)
            } catch {
                throw .log(partition: partition, path: directory, error)
            }
            let hardState: HardStateFile
            do {
                hardState = try HardStateFile(path: directory + "/hard-state", storage: storage)
            } catch {
                throw .hardState(partition: partition, error)
            }
            let members = placement.replicas(of: partition)
            let replicaConfiguration: ReplicaConfiguration
            do {
                replicaConfiguration = try replicaSettings(nodeID: configuration.nodeID, members: members)
            } catch {
                throw .invalidConfiguration("partition \(partition): \(error)")
            }
            do {
                replicas[partition] = try PartitionReplica(
                    partition: partition, configuration: replicaConfiguration, log: log, hardStateFile: hardState,
                    preferredLeader: placement.preferredLeader(of: partition),
                    balanceIntervalTicks: configuration.leaderBalanceIntervalTicks,
                    sender: sender, mailboxCapacity: 4096, recentFramesBytes: recentFramesBytes, metrics: metrics,
                    logger: logger)
            } catch {
                throw .replica(partition: partition, error)
            }
        }
        return replicas
    }

    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
