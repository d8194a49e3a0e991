import IrisClientProtocol
import IrisLog

/// The committed records of a partition as they commit (`IrisClient.follow`).
public struct IrisFollow: AsyncSequence, Sendable {
    /// Each committed record, in offset order.
    public typealias Element = LogRecord
    /// Why following stopped.
    public typealias Failure = IrisClientError

    let client: IrisClient
    let partition: UInt32
    let from: Offset

    /// An iterator with its own connection, opened on the first `next()`.
    public func makeAsyncIterator() -> Iterator {
        Iterator(session: FollowSession(client: client, partition: partition, from: from))
    }

    /// Walks the records of one follow.
    public struct Iterator: AsyncIteratorProtocol {
        let session: FollowSession
        private var batch: [LogRecord] = []
        private var index = 0

        init(session: FollowSession) { self.session = session }

        /// The next committed record, waiting until one commits.
        /// - Throws: `IrisClientError` when following cannot go on.
        public mutating func next() async throws(IrisClientError) -> LogRecord? {
            while index == batch.count {
                batch = try await session.nextBatch()
                index = 0
            }
            defer { index += 1 }
            return batch[index]
        }
    }
}
