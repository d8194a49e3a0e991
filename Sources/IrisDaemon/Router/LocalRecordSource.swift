import IrisLog
import IrisRouter

/// A partition this node hosts: its replica's committed records, read from the local log.
struct LocalRecordSource: CommittedRecordSource {
    let partition: Int
    let replica: PartitionReplica

    func committed(from offset: UInt64, maxBytes: Int, waitTicks: Int) async throws(FeedSourceError) -> [LogRecord] {
        do {
            return try await replica.readCommitted(from: Offset(offset), maxBytes: maxBytes, waitTicks: waitTicks).records
        } catch {
            throw FeedSourceError(partition: partition, detail: "reading committed records from \(offset): \(error)")
        }
    }

    func records(from offset: UInt64, maxBytes: Int) async throws(FeedSourceError) -> [LogRecord] {
        do {
            return try await replica.records(from: Offset(offset), maxBytes: maxBytes)
        } catch {
            throw FeedSourceError(partition: partition, detail: "reading offset \(offset): \(error)")
        }
    }

    func check(_ checkpoint: RouterCheckpoint) async throws(RouterCheckpointError) {
        guard checkpoint.position > 0 else { return }
        let log = replica.log
        let end = log.nextOffset.rawValue
        var record: LogRecord?
        if checkpoint.position <= end {
            do throws(LogError) {
                record = try log.read(at: Offset(checkpoint.position - 1))
            } catch {
                throw .logMismatch("reading offset \(checkpoint.position - 1): \(error)")
            }
        }
        try checkpoint.check(logEnd: end, recordAtLast: record)
    }

    var settledCommitEnd: UInt64? {
        let status = replica.status
        guard status.leader != nil, status.commitOffset.rawValue >= status.lastOffset.rawValue else { return nil }
        return status.commitOffset.rawValue
    }

    var isStopped: Bool { replica.mailbox.isClosed }
}
