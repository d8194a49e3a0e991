import IrisClient
import IrisLog
import IrisRouter
import Logging
import Synchronization

/// A partition this node does not host (SPEC.md §16.7): its committed records read from a
/// replica on another node through the client protocol. A task follows the committed tail
/// (FOLLOW through `IrisClient`: the leader first, any replica that answers, again from the
/// next offset after a failure, with backoff) into a bounded buffer that `committed` drains;
/// older offsets are READ.
final class RemoteRecordSource: CommittedRecordSource {
    /// Most records the buffer holds; at the bound the follow stops acknowledging, so its
    /// server pushes at most one batch beyond it.
    static let bufferedRecordsMax = 8_192
    /// Most bytes of keys and values the buffer holds (soft: one record may pass it).
    static let bufferedBytesMax = 8 << 20
    /// How often a waiting `committed` looks at the buffer, and a full buffer is looked at again.
    static let pollInterval = Duration.milliseconds(10)

    let partition: Int
    private let client: IrisClient
    private let directory: PartitionDirectory
    private let created = ContinuousClock.now
    private let tick: Duration
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        /// Which follow feeds the buffer; a restart makes the old one's pushes stale.
        var generation = 0
        /// The offset of the buffer's first record: where the feed reads next.
        var expected: UInt64 = 0
        var records: [LogRecord] = []
        var head = 0
        var bytes = 0
        var pump: Task<Void, Never>?
        var stopped = false
    }

    private enum Push { case pushed, full, stale }

    /// A source reading `partition` through `client`, its commit end learnt from `directory`;
    /// `tick` is the length of the waits `committed` is given in ticks.
    init(partition: Int, client: IrisClient, directory: PartitionDirectory, tick: Duration, logger: Logger) {
        self.partition = partition
        self.client = client
        self.directory = directory
        self.tick = tick
        self.logger = logger
    }

    /// The commit end the other nodes reported in a STATUS round after this source began.
    var settledCommitEnd: UInt64? { directory.commitEnd(of: partition, sampledAfter: created) }

    var isStopped: Bool { state.withLock { $0.stopped } }

    /// Records buffered and not yet read by the feed: a metric of how far it lags its follow.
    var buffered: Int { state.withLock { $0.records.count - $0.head } }

    /// Ends the follow; `committed` returns nothing from now on.
    func stop() {
        state.withLock { state in
            state.stopped = true
            state.pump?.cancel()
            state.pump = nil
            state.records = []
            state.head = 0
            state.bytes = 0
        }
    }

    func committed(from offset: UInt64, maxBytes: Int, waitTicks: Int) async throws(FeedSourceError) -> [LogRecord] {
        let running = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            if state.pump == nil || state.expected != offset {
                // First read, or the feed moved (a checkpoint): follow from where it reads.
                state.pump?.cancel()
                state.generation += 1
                state.expected = offset
                state.records = []
                state.head = 0
                state.bytes = 0
                let generation = state.generation
                state.pump = Task { [self] in await follow(from: offset, generation: generation) }
            }
            return true
        }
        guard running else { return [] }
        let deadline = ContinuousClock.now + tick * max(0, waitTicks)
        while true {
            let batch = take(maxBytes: maxBytes)
            if !batch.isEmpty || ContinuousClock.now >= deadline || Task.isCancelled { return batch }
            try? await Task.sleep(for: Self.pollInterval)
        }
    }

    func records(from offset: UInt64, maxBytes: Int) async throws(FeedSourceError) -> [LogRecord] {
        do {
            return try await client.read(partition: UInt32(partition), from: Offset(offset), maxBytes: UInt32(clamping: maxBytes)).records
        } catch {
            throw FeedSourceError(partition: partition, detail: "reading offset \(offset) from another node: \(error)")
        }
    }

    /// How long `check` tries to learn the partition's commit end and read the record a
    /// checkpoint names (a whole-cluster restart: until the partition's leader commits its
    /// term-start marker); the start's own wait for the partitions' leaders is as long.
    static let checkTimeLimit = Duration.seconds(60)

    /// Checks `checkpoint` against the partition's log on another node: once a STATUS round
    /// after the start reports its commit end (§16.7), the checkpoint must lie below it, and the
    /// record READ at X - 1 must be the one it names. A replica that has not committed X - 1 yet
    /// or a failed READ is tried again, until `checkTimeLimit` (then `.notChecked`).
    func check(_ checkpoint: RouterCheckpoint) async throws(RouterCheckpointError) {
        guard checkpoint.position > 0 else { return }
        let last = checkpoint.position - 1
        let deadline = ContinuousClock.now + Self.checkTimeLimit
        var why = "no STATUS round reported the partition's commit end"
        while ContinuousClock.now < deadline, !isStopped {
            if let end = settledCommitEnd {
                guard end > last else { return try checkpoint.check(logEnd: end, recordAtLast: nil) }
                var read: LogRecord?
                do throws(FeedSourceError) {
                    read = try await records(from: last, maxBytes: 1).first
                    if read == nil { why = "the replica that answered had not committed offset \(last)" }
                } catch {
                    why = error.description
                }
                if let read { return try checkpoint.check(logEnd: end, recordAtLast: read) }
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        throw .notChecked(isStopped ? "the node is stopping" : "for \(Self.checkTimeLimit): \(why)")
    }

    /// The buffered records from its head, at most about `maxBytes` (at least one).
    private func take(maxBytes: Int) -> [LogRecord] {
        state.withLock { state in
            var taken: [LogRecord] = []
            var bytes = 0
            while state.head < state.records.count, taken.isEmpty || bytes < maxBytes {
                let record = state.records[state.head]
                taken.append(record)
                bytes += Self.size(of: record)
                state.head += 1
            }
            state.bytes -= bytes
            if let last = taken.last { state.expected = last.offset.rawValue + 1 }
            if state.head == state.records.count {
                state.records.removeAll(keepingCapacity: true)
                state.head = 0
            } else if state.head >= 1_024 && state.head * 2 >= state.records.count {
                state.records.removeFirst(state.head)
                state.head = 0
            }
            return taken
        }
    }

    private func push(_ record: LogRecord, generation: Int) -> Push {
        state.withLock { state in
            guard state.generation == generation, !state.stopped else { return .stale }
            let count = state.records.count - state.head
            guard count < Self.bufferedRecordsMax, count == 0 || state.bytes < Self.bufferedBytesMax else { return .full }
            state.records.append(record)
            state.bytes += Self.size(of: record)
            return .pushed
        }
    }

    /// Follows the partition from `offset` into the buffer until cancelled or made stale.
    private func follow(from offset: UInt64, generation: Int) async {
        var next = offset
        var delay = Duration.milliseconds(50)
        while !Task.isCancelled {
            do throws(IrisClientError) {
                var records = client.follow(partition: UInt32(partition), from: Offset(next)).makeAsyncIterator()
                while let record = try await records.next() {
                    guard record.offset.rawValue == next else {
                        logger.warning("mqtt: partition \(partition): the follow sent offset \(record.offset.rawValue) where \(next) was due; following again")
                        break
                    }
                    while true {
                        switch push(record, generation: generation) {
                        case .pushed: break
                        case .stale: return
                        case .full:
                            // The feed lags: wait for it, without acknowledging more.
                            try? await Task.sleep(for: Self.pollInterval)
                            guard !Task.isCancelled else { return }
                            continue
                        }
                        break
                    }
                    next += 1
                    delay = .milliseconds(50)
                }
            } catch {
                guard !Task.isCancelled else { return }
                logger.warning("mqtt: partition \(partition): following it on another node from offset \(next): \(error); again in \(delay)")
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(2))
        }
    }

    private static func size(of record: LogRecord) -> Int {
        record.value.count + (record.key?.count ?? 0) + 32
    }
}
