import IrisLog
import IrisNode
import IrisReplication
import IrisTransport

/// Why a node could not start. Each names what to fix.
package enum NodeError: Error, Sendable, CustomStringConvertible {
    /// The flags describe no valid cluster.
    case invalidConfiguration(String)
    /// The data directory belongs to another cluster or configuration (SPEC.md §11.2).
    case identity(ClusterIdentityError)
    /// A directory could not be created or synced.
    case storage(StorageError)
    /// A partition's log could not be opened.
    case log(partition: PartitionID, path: String, LogError)
    /// A partition's hard-state file is damaged or unreadable.
    case hardState(partition: PartitionID, HardStateFileError)
    /// A partition's log is not a valid replicated log.
    case replica(partition: PartitionID, ReplicaFault)
    /// The listener could not bind its address.
    case bind(Endpoint, String)

    /// What went wrong and what to do.
    package var description: String {
        switch self {
        case .invalidConfiguration(let detail): "invalid configuration: \(detail)"
        case .identity(let error): "\(error)"
        case .storage(let error): "data directory: \(error)"
        case .log(let partition, let path, let error):
            "partition \(partition): cannot open its log at \(path): \(error) (check it with `iris-log verify \(path)`)"
        case .hardState(let partition, let error): "partition \(partition): \(error)"
        case .replica(let partition, let fault):
            "partition \(partition): the log is not a valid replicated log: \(fault) (check it with `iris-log verify`)"
        case .bind(let address, let detail): "cannot listen on \(address): \(detail)"
        }
    }
}
