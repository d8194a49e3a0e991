import IrisLog
import IrisRouter

/// Where a `PartitionFeed` reads its partition's records (SPEC.md §16.4): the node's own
/// replica (`LocalRecordSource`) or, for a partition this node does not host, a replica on
/// another node through the client protocol (`RemoteRecordSource`).
protocol CommittedRecordSource: Sendable {
    /// Committed records from `offset` on, at most about `maxBytes` (at least one when one
    /// exists), in offset order with no gap; waits up to `waitTicks` ticks for one. Empty when
    /// none came in that time.
    func committed(from offset: UInt64, maxBytes: Int, waitTicks: Int) async throws(FeedSourceError) -> [LogRecord]

    /// Records from `offset` on, at most about `maxBytes`, for reading stored messages back
    /// (offsets the feed has already read, so committed).
    func records(from offset: UInt64, maxBytes: Int) async throws(FeedSourceError) -> [LogRecord]

    /// Checks that the partition's log still holds what `checkpoint` covers: offset X - 1 is
    /// committed and holds the record the checkpoint names (SPEC.md §16.8). Throws why not.
    func check(_ checkpoint: RouterCheckpoint) async throws(RouterCheckpointError)

    /// The partition's commit end to read up to before serving, once known: for a local
    /// replica, once it has a leader and everything in its log at start is committed (a new
    /// leader commits its term-start marker first); nil until then.
    var settledCommitEnd: UInt64? { get }

    /// True once the source will give nothing more (its node or router is stopping).
    var isStopped: Bool { get }
}

/// Why a feed's source could not read; the feed logs it and tries again.
struct FeedSourceError: Error, CustomStringConvertible {
    /// The partition read.
    var partition: Int
    /// What failed, and where.
    var detail: String

    var description: String { "partition \(partition): \(detail)" }
}
