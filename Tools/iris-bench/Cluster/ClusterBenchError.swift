/// Why a cluster benchmark could not run, with what to check.
enum ClusterBenchError: Error, CustomStringConvertible {
    /// A file or process operation failed.
    case io(String)
    /// The cluster did not come up (a node exited, or leaders were not elected in time).
    case clusterNotReady(String)

    var description: String {
        switch self {
        case .io(let detail): return detail
        case .clusterNotReady(let detail): return "the cluster did not come up: \(detail)"
        }
    }
}
