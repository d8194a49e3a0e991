import IrisLog
import IrisNode
import IrisReplication
import Logging
import Synchronization

/// Sends a partition's messages to peers (the transport, or a test's network).
protocol PeerSender: Sendable {
    /// Queues `envelope` for its recipient, best effort: it may be dropped (bounded queues).
    func send(partition: PartitionID, _ envelope: Envelope)
}

/// One partition's replica on this node: the one owner of its `ReplicaDriver`, log and hard
/// state. A single loop takes events from the mailbox and runs each to completion, so the
/// driver is never entered twice; everything else talks to it through the mailbox or reads
/// `status` (SPEC.md §14). Idempotent appends are resolved here (`ProducerTable`).
final class PartitionReplica: ReplicaShell, @unchecked Sendable {
    let partition: PartitionID
    let log: Log
    let mailbox: Mailbox<PartitionEvent>
    let logger: Logger
    let metrics: NodeMetrics

    // Loop-only state: touched by the loop task alone.
    private var driver: ReplicaDriver!
    private let hardStateFile: HardStateFile
    private let sender: any PeerSender
    private var nextRequestID: UInt64 = 1
    private var pendingAppends: [ClientRequestID: PendingBatch] = [:]
    private var producers = ProducerTable()
    /// Duplicates of appends not yet committed, answered when the commit offset reaches `end`.
    private var commitWaiters: [(end: LogEnd, answer: AppendAnswer, result: PartitionAnswer)] = []
    private var wasLeader = false
    /// The replica SPEC §10.3 prefers as leader; leadership is handed back to it (§14.5).
    let preferredLeader: NodeID
    /// Ticks between two looks at whether to hand leadership to the preferred leader.
    let balanceIntervalTicks: Int
    private var ticksSinceBalance = 0

    // Shared state.
    private let shared: Mutex<ReplicaStatus>
    private let readWaiters: ReadWaiters
    /// The frames this replica wrote last, for reads of what just committed (SPEC.md §14.2).
    let recent: RecentFrames
    /// Stored bytes of recent frames a node keeps in memory, shared evenly by the replicas it
    /// hosts (8 MiB each with 8 partitions; each keeps at least its newest frame).
    static let recentFramesNodeBytes = 64 << 20
    /// The producer window a new leader rebuilds from: this many records back from its log's end.
    let producerWindowRecords: UInt64 = 16_384

    /// Opens the replica from its durable state: the hard-state file and the recovered log. It
    /// keeps up to `recentFramesBytes` of the frames it writes in memory for reads.
    init(
        partition: PartitionID, configuration: ReplicaConfiguration, log: Log, hardStateFile: HardStateFile,
        preferredLeader: NodeID, balanceIntervalTicks: Int,
        sender: any PeerSender, mailboxCapacity: Int, recentFramesBytes: Int, metrics: NodeMetrics, logger: Logger
    ) throws(ReplicaFault) {
        self.preferredLeader = preferredLeader
        self.balanceIntervalTicks = balanceIntervalTicks
        self.metrics = metrics
        self.partition = partition
        self.log = log
        self.hardStateFile = hardStateFile
        self.sender = sender
        self.mailbox = Mailbox(capacity: mailboxCapacity)
        self.logger = logger
        self.shared = Mutex(ReplicaStatus())
        self.readWaiters = ReadWaiters()
        let recent = RecentFrames(capacityBytes: recentFramesBytes)
        self.recent = recent
        self.driver = try ReplicaDriver(
            configuration: configuration, hardState: hardStateFile.state, log: CachingReplicaLog(view: LogReplicaView(log: log), recent: recent),
            timeoutSource: SystemElectionTimeouts(), shell: self)
        publishStatus()
    }

    /// What the replica is now: role, leader, term, commit offset.
    var status: ReplicaStatus { shared.withLock { $0 } }

    /// The loop: runs until the mailbox is closed and drained. Answers every append still
    /// waiting when it ends.
    func run() async {
        while let event = await mailbox.next() {
            guard case .append(let first) = event else {
                await handle(event)
                continue
            }
            // Appends waiting together become one frame: one step, one write, one message per peer.
            var calls = [first]
            var bytes = first.payloadBytes
            while calls.count < Self.batchAppendsMax, bytes < Self.batchPayloadBytesMax,
                case .append(let next)? = mailbox.popFirst(where: \.isAppend) {
                calls.append(next)
                bytes += next.payloadBytes
            }
            await append(calls)
            afterStep()
        }
        failWaiting(.unavailable("partition \(partition) is shutting down"))
        readWaiters.releaseAll()
    }

    private func handle(_ event: PartitionEvent) async {
        switch event {
        case .tick:
            await driver.handle(.tick)
            readWaiters.expire()
            await balanceLeadership()
        case .receive(let envelope):
            await driver.handle(.receive(envelope))
        case .append(let call):
            await append([call])
        case .hardStatePersisted(let state):
            await driver.hardStatePersisted(state)
        case .logSynced(let ticket):
            await driver.logSyncCompleted(ticket)
        case .stop(let reason):
            driver.stop(reason)
        }
        afterStep()
    }

    // MARK: Appends

    /// Most client appends sealed into one frame.
    static let batchAppendsMax = 1_024
    /// Key and value bytes after which no more appends join a frame (a frame stays well below
    /// the replicas' 1 MiB `frameBytesMax`; a single larger append goes alone).
    static let batchPayloadBytesMax = 256 << 10

    /// Appends `calls` as one frame (SPEC.md §14.4): duplicates of known producer sequences are
    /// answered from the producer table, the rest are sealed together, each new idempotent
    /// append led by its producer record, and every call gets its own records' offsets.
    private func append(_ calls: [AppendCall]) async {
        if let reason = driver.stopReason {
            for call in calls { call.answer(.unavailable("partition \(partition) stopped: \(reason)")) }
            return
        }
        guard driver.core.role == .leader else {
            for call in calls { call.answer(.notLeader(driver.core.leaderID)) }
            return
        }
        let now = WallClock.nowMicroseconds()
        var records: [Record] = []
        var parts: [BatchPart] = []
        /// Index in `parts` of each (producer, sequence) new in this batch: a retry racing its original waits for it.
        var newInBatch: [ProducerSequence: Int] = [:]
        for call in calls {
            if call.producer != 0 {
                let key = ProducerSequence(producer: call.producer, sequence: call.sequence)
                if let index = newInBatch[key] {
                    parts[index].sameAnswer.append(call.answer)
                    continue
                }
                switch producers.lookup(producer: call.producer, sequence: call.sequence) {
                case .duplicate(let entry):
                    let result = PartitionAnswer.appended(first: entry.firstOffset, count: entry.count)
                    if entry.end <= driver.core.commitOffset {
                        call.answer(result)
                    } else {
                        commitWaiters.append((entry.end, call.answer, result))
                    }
                    continue
                case .tooOld:
                    call.answer(.sequenceTooOld)
                    continue
                case .new:
                    records.append(ProducerRecord.record(producer: call.producer, sequence: call.sequence, timestampMicroseconds: now))
                    newInBatch[key] = parts.count
                }
            }
            parts.append(BatchPart(
                answer: call.answer, producer: call.producer, sequence: call.sequence,
                firstRecord: UInt64(records.count),
                count: call.records.count))
            records += call.records
        }
        guard !parts.isEmpty else { return }
        let batch: EncodedBatch
        do {
            batch = try EncodedBatch(records: records, timestampMicroseconds: now)
        } catch {
            for part in parts { part.resume(.tooLarge) }
            return
        }
        let id = ClientRequestID(nextRequestID)
        nextRequestID += 1
        let base = driver.core.lastOffset
        pendingAppends[id] = PendingBatch(parts: parts, startedNanoseconds: WallClock.monotonicNanoseconds())
        await driver.handle(.clientAppend(id, batch: batch))
        // Appended when the log grew by exactly this batch in this step (otherwise the core
        // already answered: not leader, overloaded, too large).
        guard pendingAppends[id] != nil, driver.core.lastOffset.rawValue == base.rawValue + UInt64(records.count) else { return }
        for part in parts where part.producer != 0 {
            producers.record(producer: part.producer, ProducerTable.Entry(
                sequence: part.sequence, firstOffset: Offset(base.rawValue + part.firstRecord), count: part.count,
                end: driver.core.lastOffset))
        }
    }

    // MARK: ReplicaShell

    func persistHardState(_ state: HardState) {
        // A hard-state save is one small write and fdatasync, done in line: rare (elections),
        // and persists must complete in the order asked for.
        do {
            try hardStateFile.save(state)
        } catch {
            mailbox.deliver(.stop(.hardStateFailed("\(error)")))
            return
        }
        mailbox.deliver(.hardStatePersisted(state))
    }

    func syncLog(_ ticket: LogSyncTicket) {
        // Answered from an I/O engine thread straight into the mailbox: no task per sync.
        let mailbox = self.mailbox
        log.sync { error in
            if let error {
                mailbox.deliver(.stop(.logFailed(error)))
            } else {
                mailbox.deliver(.logSynced(ticket))
            }
        }
    }

    func send(_ envelope: Envelope) {
        sender.send(partition: partition, envelope)
    }

    func commitAdvanced(to offset: LogEnd) {
        shared.withLock { $0.commitOffset = offset }
        readWaiters.commitAdvanced(to: offset)
        var kept: [(end: LogEnd, answer: AppendAnswer, result: PartitionAnswer)] = []
        for waiter in commitWaiters {
            if waiter.end <= offset { waiter.answer(waiter.result) } else { kept.append(waiter) }
        }
        commitWaiters = kept
    }

    func clientResult(_ id: ClientRequestID, _ result: ClientResult) {
        guard let pending = pendingAppends.removeValue(forKey: id) else { return }
        if case .committed(let first) = result {
            metrics.commits.increment(by: Int64(pending.parts.count))
            metrics.commitLatency.recordNanoseconds(Int64(WallClock.monotonicNanoseconds() - pending.startedNanoseconds))
            for part in pending.parts {
                part.resume(.appended(first: Offset(first.rawValue + part.firstRecord), count: part.count))
            }
            return
        }
        let answer: PartitionAnswer = switch result {
        case .committed: preconditionFailure("handled above")
        case .notLeader(let hint): .notLeader(hint)
        case .overloaded: .overloaded
        case .payloadTooLarge: .tooLarge
        case .outcomeUnknown: .outcomeUnknown
        }
        for part in pending.parts { part.resume(answer) }
    }

    func replicaStopped(_ reason: ReplicaStop) {
        logger.error("partition \(partition) replica stopped: \(reason)")
        shared.withLock { $0.stopped = reason.description }
        failWaiting(.unavailable("partition \(partition) stopped: \(reason)"))
    }

    // MARK: Leadership changes and status

    /// After each event: notices leadership gained or lost and publishes the status.
    private func afterStep() {
        let isLeader = driver.core.role == .leader && !driver.isStopped
        if isLeader && !wasLeader {
            metrics.elections.increment()
            rebuildProducers()
            logger.info("partition \(partition): leader in term \(driver.core.hardState.term.rawValue)")
        } else if !isLeader && wasLeader {
            producers.removeAll()
            for waiter in commitWaiters { waiter.answer(.outcomeUnknown) }
            commitWaiters.removeAll()
        }
        wasLeader = isLeader
        publishStatus()
    }

    private func publishStatus() {
        let core = driver.core
        shared.withLock { status in
            status.role = core.role
            status.leader = core.leaderID
            status.term = core.hardState.term
            status.commitOffset = core.commitOffset
            status.lastOffset = core.lastOffset
        }
    }

    /// A new leader learns its producers from the end of its own log: every idempotent append
    /// in it may commit under this leader, so a retry must find it.
    private func rebuildProducers() {
        producers.removeAll()
        let end = driver.core.lastOffset.rawValue
        var offset = Offset(end > producerWindowRecords ? end - producerWindowRecords : 0)
        while offset.rawValue < end {
            let frames: [SealedFrame]
            do {
                frames = try log.readFrames(from: offset, maxBytes: 1 << 20)
            } catch {
                logger.error("partition \(partition): cannot read its log to rebuild producers: \(error)")
                return
            }
            guard let last = frames.last else { return }
            for frame in frames {
                guard let records = try? frame.records() else { continue }
                // Each producer record owns the client records after it, up to the next one.
                let starts = records.indices.filter { ProducerRecord.parse(records[$0]) != nil }
                for (position, start) in starts.enumerated() {
                    guard let producer = ProducerRecord.parse(records[start]) else { continue }
                    let end = position + 1 < starts.count ? starts[position + 1] : records.count
                    producers.record(producer: producer.producer, ProducerTable.Entry(
                        sequence: producer.sequence, firstOffset: records[start].offset.advanced(by: 1),
                        count: end - start - 1, end: LogEnd(before: frame.nextOffset)))
                }
            }
            offset = last.nextOffset
        }
    }

    /// Leader balancing (SPEC.md §14.5): a leader that is not the partition's preferred leader
    /// hands leadership to it once it is reachable and its log matches (a node that comes back
    /// gets its leaderships back), looking once every `balanceIntervalTicks`.
    private func balanceLeadership() async {
        ticksSinceBalance += 1
        guard ticksSinceBalance >= balanceIntervalTicks else { return }
        ticksSinceBalance = 0
        let core = driver.core
        guard core.role == .leader, core.configuration.nodeID != preferredLeader, core.transferTarget == nil,
            let progress = core.progress(of: preferredLeader), progress.recentlyActive,
            progress.matchOffset == core.lastOffset
        else { return }
        logger.info("partition \(partition): handing leadership to its preferred leader \(preferredLeader)")
        await driver.handle(.transferLeadership(to: preferredLeader))
    }

    private func failWaiting(_ answer: PartitionAnswer) {
        for (_, pending) in pendingAppends {
            for part in pending.parts { part.resume(answer) }
        }
        pendingAppends.removeAll()
        for waiter in commitWaiters { waiter.answer(answer) }
        commitWaiters.removeAll()
    }

    // MARK: Reads (any thread)

    /// Committed records from `offset` on, at most about `maxBytes` of them; waits up to
    /// `waitTicks` ticks for one to commit when there is none yet.
    func readCommitted(from offset: Offset, maxBytes: Int, waitTicks: Int) async throws(LogError) -> (records: [LogRecord], commitOffset: LogEnd) {
        var commit = status.commitOffset
        if commit.rawValue <= offset.rawValue, waitTicks > 0 {
            commit = await readWaiters.wait(beyond: offset, ticks: waitTicks, current: { [self] in status.commitOffset })
        }
        guard commit.rawValue > offset.rawValue else { return ([], commit) }
        let end = Offset(commit.rawValue)
        if let records = recent.records(from: offset, below: end, maxBytes: maxBytes) { return (records, commit) }
        let records = try await log.fetch(from: offset, maxBytes: maxBytes).lazy.filter { $0.offset < end }.map(\.record)
        return (Array(records), commit)
    }

    /// Records from `offset` on, at most about `maxBytes` of them, as `Log.read(from:maxBytes:)`
    /// returns them, from the recent frames when they still hold `offset`, else read from the
    /// log on the I/O engine's read threads (`Log.fetch`: the caller suspends, no thread of the
    /// pool blocks on the disk).
    func records(from offset: Offset, maxBytes: Int) async throws(LogError) -> [LogRecord] {
        if let records = recent.records(from: offset, below: log.nextOffset, maxBytes: maxBytes) { return records }
        return try await log.fetch(from: offset, maxBytes: maxBytes).map(\.record)
    }
}

/// Client appends sealed as one frame, until the core answers it.
private struct PendingBatch {
    var parts: [BatchPart]
    var startedNanoseconds: UInt64
}

/// One client append inside a batch's frame.
private struct BatchPart {
    var answer: AppendAnswer
    /// Retries of the same (producer, sequence) that arrived in the same batch: same answer.
    var sameAnswer: [AppendAnswer] = []
    var producer: UInt64
    var sequence: UInt64
    /// Position of its first client record in the frame (after its producer record, if any).
    var firstRecord: UInt64
    var count: Int

    init(answer: @escaping AppendAnswer, producer: UInt64, sequence: UInt64, firstRecord: UInt64, count: Int) {
        self.answer = answer
        self.producer = producer
        self.sequence = sequence
        self.firstRecord = firstRecord
        self.count = count
    }

    func resume(_ result: PartitionAnswer) {
        answer(result)
        for other in sameAnswer { other(result) }
    }
}

/// A producer's append, as the key of a batch's new appends.
private struct ProducerSequence: Hashable {
    var producer: UInt64
    var sequence: UInt64
}

/// Election timeouts drawn from the system's random source (SPEC.md §9.1 rule 4).
struct SystemElectionTimeouts: ElectionTimeoutSource {
    mutating func nextElectionTimeoutTicks(in range: Range<Int>) -> Int { Int.random(in: range) }
}
