import IrisLog
import IrisReplication

/// Why a node refuses its data directory's cluster identity; SPEC.md §11.2. Each
/// description names the file, both values and what to do.
package enum ClusterIdentityError: Error, Equatable, CustomStringConvertible {
    /// The directory belongs to another cluster.
    case clusterMismatch(path: String, stored: ClusterID, configured: ClusterID)
    /// The directory belongs to another node of the cluster.
    case nodeMismatch(path: String, stored: NodeID, configured: NodeID)
    /// The directory was created with another partition count (P is fixed at creation).
    case partitionCountMismatch(path: String, stored: Int, configured: Int)
    /// The directory was created with another replica count.
    case replicaCountMismatch(path: String, stored: Int, configured: Int)
    /// The file exists but is not a valid identity record.
    case damaged(path: String, detail: String)
    /// A storage call failed.
    case io(StorageError)

    /// What is wrong and what to do next.
    package var description: String {
        switch self {
        case .clusterMismatch(let path, let stored, let configured):
            "data directory belongs to cluster \(stored), not the configured cluster \(configured) (\(path)); give this node its own data directory"
        case .nodeMismatch(let path, let stored, let configured):
            "data directory belongs to node \(stored), not \(configured) (\(path)); start it with --id \(stored.rawValue) or give node \(configured.rawValue) its own data directory"
        case .partitionCountMismatch(let path, let stored, let configured):
            "data directory was created with --partitions \(stored), not \(configured) (\(path)); the partition count is fixed at creation: start with --partitions \(stored)"
        case .replicaCountMismatch(let path, let stored, let configured):
            "data directory was created with --replicas \(stored), not \(configured) (\(path)); start with --replicas \(stored)"
        case .damaged(let path, let detail):
            "cluster identity file \(path) is damaged (\(detail)); restore it, or rebuild this node's data directory from its peers"
        case .io(let error):
            "cluster identity file: \(error)"
        }
    }
}
