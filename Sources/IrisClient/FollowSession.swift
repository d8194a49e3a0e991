import IrisClientProtocol
import IrisLog

/// One follow's state (SPEC.md §12.4): its own connection, the FOLLOW's request ID, where to
/// resume. It acknowledges a batch only when the caller asks for the next one, so the server
/// never has more than one batch on the way; after a lost connection or NOT_LEADER it follows
/// again from the next offset, elsewhere if need be.
final class FollowSession {
    private let client: IrisClient
    private let partition: UInt32
    private var nextOffset: Offset
    private var connection: NodeConnection?
    private var requestID: UInt64 = 0
    private var answers: AsyncStream<ClientAnswer>.AsyncIterator?
    private var acknowledgeFirst = false
    private var address: String?

    init(client: IrisClient, partition: UInt32, from: Offset) {
        self.client = client
        self.partition = partition
        self.nextOffset = from
    }

    deinit { connection?.close() }

    /// The next non-empty batch of committed records.
    func nextBatch() async throws(IrisClientError) -> [LogRecord] {
        let configuration = client.configuration
        var failures = 0
        var delay = configuration.retryDelayMin
        while true {
            guard !Task.isCancelled else { throw .cancelled }
            if answers == nil {
                do throws(IrisClientError) { try await open() } catch {
                    if case .cancelled = error { throw error }
                    failures += 1
                    guard failures < configuration.followFailuresMax else { throw error }
                    address = nil
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, configuration.retryDelayMax)
                    continue
                }
            } else if acknowledgeFirst {
                connection?.acknowledge(requestID)
            }
            acknowledgeFirst = false
            guard let answer = await answers!.next() else {
                reset(to: nil)
                continue
            }
            switch answer {
            case .records(let batch):
                acknowledgeFirst = true
                failures = 0
                delay = configuration.retryDelayMin
                if let last = batch.records.last { nextOffset = last.offset.advanced(by: 1) } else { nextOffset = max(nextOffset, batch.nextOffset) }
                if !batch.records.isEmpty { return batch.records }
            case .notLeader(let hint):
                reset(to: hint.address.isEmpty ? nil : hint.address)
            case .unknownPartition:
                throw .unknownPartition(partition)
            default:
                failures += 1
                guard failures < configuration.followFailuresMax else { throw .unreachable(detail: "following partition \(partition): \(answer)") }
                reset(to: nil)
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, configuration.retryDelayMax)
            }
        }
    }

    private func open() async throws(IrisClientError) {
        let target: String
        if let address { target = address } else { target = await client.target(for: partition) }
        address = target
        let connection = try await client.openConnection(to: target)
        self.connection = connection
        do {
            let (requestID, stream) = try await connection.follow(FollowRequest(partition: partition, from: nextOffset, maxBytes: client.configuration.batchBytesMax))
            self.requestID = requestID
            answers = stream.makeAsyncIterator()
        } catch {
            reset(to: nil)
            throw .unreachable(detail: "cannot follow at \(target): \(error)")
        }
    }

    private func reset(to address: String?) {
        connection?.close()
        connection = nil
        answers = nil
        acknowledgeFirst = false
        self.address = address
    }
}
