import IrisLog
import IrisNode
import IrisReplication
import Testing

/// Records everything a `ReplicaDriver` asks of its shell; completes nothing by itself.
final class RecordingShell: ReplicaShell {
    var persistedHardStates: [HardState] = []
    var syncs: [LogSyncTicket] = []
    var sends: [Envelope] = []
    var commits: [LogEnd] = []
    var results: [ClientRequestID: ClientResult] = [:]
    var stops: [ReplicaStop] = []

    /// Calls of every kind, so "nothing happened" is one comparison.
    var callCount: Int {
        persistedHardStates.count + syncs.count + sends.count + commits.count + results.count + stops.count
    }

    func persistHardState(_ state: HardState) { persistedHardStates.append(state) }
    func syncLog(_ ticket: LogSyncTicket) { syncs.append(ticket) }
    func send(_ envelope: Envelope) { sends.append(envelope) }
    func commitAdvanced(to offset: LogEnd) { commits.append(offset) }
    func clientResult(_ id: ClientRequestID, _ result: ClientResult) { results[id] = result }
    func replicaStopped(_ reason: ReplicaStop) { stops.append(reason) }
}

/// Always the same election timeout, so a test knows when the replica campaigns.
struct FixedElectionTimeout: ElectionTimeoutSource {
    let ticks: Int
    mutating func nextElectionTimeoutTicks(in range: Range<Int>) -> Int { ticks }
}

/// A driver over a real IrisLog `Log` on a `SimulatedDisk`, configured as the simulator
/// configures a replica's log (`Durability.none`: the driver decides when to sync; small
/// segments, which the simulated disk fills quickly). Holds the shell, which the driver holds
/// unowned.
final class DriverHarness {
    static let electionTimeoutTicks = 10

    let disk = SimulatedDisk()
    let log: Log
    let shell = RecordingShell()
    let driver: ReplicaDriver

    /// A replica's log on `disk`, as the simulator configures one.
    static func openLog(on disk: SimulatedDisk) throws -> Log {
        var configuration = LogConfiguration()
        configuration.ioBackend = .simulated(disk)
        configuration.durability = .none
        configuration.segmentSizeBytes = 64 << 10
        configuration.recordBytesMax = 4 << 10
        configuration.batchBytesMax = 8 << 10
        return try Log.open(directory: "/log", configuration: configuration)
    }

    init(members: [UInt64], node: UInt64 = 1) throws {
        log = try Self.openLog(on: disk)
        let replica = try ReplicaConfiguration(nodeID: NodeID(node), members: members.map { NodeID($0) })
        driver = try ReplicaDriver(
            configuration: replica, hardState: HardState(), log: LogReplicaView(log: log),
            timeoutSource: FixedElectionTimeout(ticks: Self.electionTimeoutTicks), shell: shell)
    }

    /// Ticks through one election timeout (bounded); a single-member group then leads.
    func tickThroughElectionTimeout() async {
        for _ in 0...Self.electionTimeoutTicks where driver.core.role != .leader {
            await driver.handle(.tick)
        }
    }

    /// `Log.sync()`, then the driver hears that the sync of `ticket` returned.
    func completeSync(_ ticket: LogSyncTicket) async throws {
        try await log.sync()
        await driver.logSyncCompleted(ticket)
    }
}

/// One-record batch holding `value`.
func oneRecordBatch(_ value: UInt8) throws -> EncodedBatch {
    try EncodedBatch(records: [Record(value: [value])], timestampMicroseconds: 1_000)
}

@Suite("Replica driver")
struct ReplicaDriverTests {
    /// SPEC.md §9 (a single node commits through its own fsync) and §9.4 rule 4: the leader
    /// counts itself only through what its own sync made durable.
    @Test func singleMemberGroupLeadsAfterItsElectionTimeoutAndCommitsOnlyAfterItsSync() async throws {
        let harness = try DriverHarness(members: [1])
        let driver = harness.driver
        let shell = harness.shell
        await harness.tickThroughElectionTimeout()
        #expect(driver.core.role == .leader)
        #expect(shell.persistedHardStates == [HardState(term: Term(1), votedFor: NodeID(1))])
        #expect(harness.log.nextOffset == Offset(1), "the term-start marker is written")
        #expect(shell.syncs.map(\.end) == [LogEnd(1)])
        #expect(shell.sends.isEmpty)

        await driver.handle(.clientAppend(ClientRequestID(7), batch: try oneRecordBatch(42)))
        #expect(harness.log.nextOffset == Offset(2), "the client's frame is written at once")
        #expect(shell.syncs.count == 1, "one sync in flight at a time")
        #expect(shell.commits.isEmpty && shell.results.isEmpty)

        try await harness.completeSync(shell.syncs[0])
        #expect(shell.commits == [LogEnd(1)], "the sync covered the marker only")
        #expect(shell.results.isEmpty)
        #expect(shell.syncs.map(\.end) == [LogEnd(1), LogEnd(2)], "what was written meanwhile gets its own sync")

        try await harness.completeSync(shell.syncs[1])
        #expect(shell.commits == [LogEnd(1), LogEnd(2)])
        #expect(shell.results == [ClientRequestID(7): .committed(Offset(1))])
        #expect(shell.syncs.count == 2, "nothing left to sync")
        #expect(shell.stops.isEmpty)
        await harness.log.close()
    }

    /// SPEC.md §9.3 rule 2: a sync that began before a truncation proves nothing about what
    /// was written after it, even when the same term is written again at the same end.
    @Test func syncCompletionFromBeforeATruncationIsNotReportedAndAnotherSyncIsRequested() async throws {
        let harness = try DriverHarness(members: [1, 2, 3])
        let driver = harness.driver
        let shell = harness.shell
        let a = try oneRecordBatch(1).sealed(baseOffset: Offset(0), term: Term(1), previousCRC: 0)
        let b = try oneRecordBatch(2).sealed(baseOffset: Offset(1), term: Term(2), previousCRC: a.crc)
        let x = try oneRecordBatch(3).sealed(baseOffset: Offset(2), term: Term(2), previousCRC: b.crc)
        let y = try oneRecordBatch(4).sealed(baseOffset: Offset(2), term: Term(3), previousCRC: b.crc)
        func append(_ frames: [SealedFrame], term: UInt64, from leader: UInt64, after prev: SealedFrame?) async {
            let request = AppendRequest(
                term: Term(term), prevLogOffset: LogEnd(before: prev?.nextOffset ?? Offset(0)),
                prevLogTerm: prev?.term ?? Term(0), frames: frames, commitOffset: .zero)
            await driver.handle(.receive(Envelope(from: NodeID(leader), to: NodeID(1), message: .appendRequest(request))))
        }

        await append([a, b, x], term: 2, from: 2, after: nil)
        #expect(harness.log.nextOffset == Offset(3))
        let stale = try #require(shell.syncs.first)
        #expect(stale.end == LogEnd(3) && stale.term == Term(2))
        // The leader of term 3 never had x: y replaces it. The leader of term 4 has x: it
        // replaces y, so the log again ends at 3 in term 2, written but not synced.
        await append([y], term: 3, from: 3, after: b)
        await append([x], term: 4, from: 2, after: b)
        #expect(harness.log.nextOffset == Offset(3))
        #expect(driver.core.termIndex.lastTerm == Term(2))
        #expect(shell.syncs.count == 1)

        await driver.logSyncCompleted(stale)
        #expect(driver.core.durableOffset == .zero, "the stale completion is not reported")
        #expect(shell.syncs.count == 2)
        let fresh = shell.syncs[1]
        #expect(fresh.end == LogEnd(3) && fresh.term == Term(2) && fresh.generation != stale.generation)

        try await harness.completeSync(fresh)
        #expect(driver.core.durableOffset == LogEnd(3))
        #expect(shell.stops.isEmpty)
        await harness.log.close()
    }

    enum LogFailure: String, CaseIterable, CustomTestStringConvertible {
        case closed, writeError
        var testDescription: String { rawValue }
    }

    /// SPEC.md §9.3.1 rule 3: a failed log write stops the replica; the shell hears it once,
    /// and the driver takes no more events.
    @Test(arguments: LogFailure.allCases)
    func logFailureStopsTheDriverOnceAndLaterEventsAreIgnored(failure: LogFailure) async throws {
        let harness = try DriverHarness(members: [1])
        let driver = harness.driver
        let shell = harness.shell
        await harness.tickThroughElectionTimeout()
        #expect(driver.core.role == .leader)
        let pendingSync = try #require(shell.syncs.first)
        switch failure {
        case .closed: await harness.log.close()
        case .writeError: harness.disk.failWrites(.io)
        }

        await driver.handle(.clientAppend(ClientRequestID(1), batch: try oneRecordBatch(9)))
        #expect(driver.isStopped)
        #expect(shell.stops.count == 1)
        guard case .logFailed = try #require(shell.stops.first) else {
            Issue.record("stopped for \(shell.stops), not for the log's failure")
            return
        }

        let calls = shell.callCount
        let core = driver.core
        for _ in 0..<(3 * DriverHarness.electionTimeoutTicks) { await driver.handle(.tick) }
        await driver.handle(.clientAppend(ClientRequestID(2), batch: try oneRecordBatch(10)))
        await driver.hardStatePersisted(HardState(term: Term(1), votedFor: NodeID(1)))
        await driver.logSyncCompleted(pendingSync)
        driver.stop(.halted(.logUnreadable(offset: .zero, error: .closed)))
        #expect(shell.callCount == calls, "a stopped driver asks nothing of its shell")
        #expect(shell.stops.count == 1)
        #expect(driver.core.commitOffset == core.commitOffset && driver.core.lastOffset == core.lastOffset)
        #expect(driver.core.pendingProposalCount == core.pendingProposalCount)
        await harness.log.close()
    }
}

/// A replica's log that notes, at each append, how many messages the shell had sent by then.
final class SendCountingLog: ReplicaLog, @unchecked Sendable {
    let base: LogReplicaView
    let shell: RecordingShell
    /// `shell.sends.count` when each append began.
    var sendsAtAppend: [Int] = []

    init(base: LogReplicaView, shell: RecordingShell) {
        self.base = base
        self.shell = shell
    }

    var lastOffset: LogEnd { base.lastOffset }
    func frame(holding offset: Offset) throws(LogError) -> SealedFrame { try base.frame(holding: offset) }
    func frames(from offset: Offset, bytesMax: Int) throws(LogError) -> [SealedFrame] { try base.frames(from: offset, bytesMax: bytesMax) }
    func append(frames: [SealedFrame]) async throws(LogError) {
        sendsAtAppend.append(shell.sends.count)
        try await base.append(frames: frames)
    }
    func truncate(from offset: Offset) async throws(LogError) { try await base.truncate(from: offset) }
}

@Suite("Replica driver: sends overlap the leader's write")
struct ReplicaDriverSendOrderTests {
    /// SPEC.md §9.1 rule 2: the sends that follow an append in a step go out before the append
    /// is written, so followers write a frame while the leader writes it.
    @Test func aLeadersAppendRequestsGoOutBeforeItsOwnWrite() async throws {
        let log = try DriverHarness.openLog(on: SimulatedDisk())
        let shell = RecordingShell()
        let counting = SendCountingLog(base: LogReplicaView(log: log), shell: shell)
        let driver = try ReplicaDriver(
            configuration: try ReplicaConfiguration(nodeID: NodeID(1), members: [NodeID(1), NodeID(2), NodeID(3)]),
            hardState: HardState(), log: counting,
            timeoutSource: FixedElectionTimeout(ticks: DriverHarness.electionTimeoutTicks), shell: shell)
        // Campaign: pre-vote and vote granted by node 2, the vote's hard state persisted.
        var persisted = 0
        for _ in 0..<(4 * DriverHarness.electionTimeoutTicks) where driver.core.role != .leader {
            switch driver.core.role {
            case .preCandidate:
                let term = Term(driver.core.hardState.term.rawValue + 1)
                await driver.handle(.receive(Envelope(from: NodeID(2), to: NodeID(1), message: .voteResponse(VoteResponse(isPreVote: true, term: term, granted: true)))))
            case .candidate:
                while persisted < shell.persistedHardStates.count {
                    persisted += 1
                    await driver.hardStatePersisted(shell.persistedHardStates[persisted - 1])
                }
                let term = driver.core.hardState.term
                await driver.handle(.receive(Envelope(from: NodeID(2), to: NodeID(1), message: .voteResponse(VoteResponse(isPreVote: false, term: term, granted: true)))))
            default:
                await driver.handle(.tick)
            }
        }
        #expect(driver.core.role == .leader)
        // The term-start marker: its AppendRequests to nodes 2 and 3 were sent before it was written.
        #expect(counting.sendsAtAppend.count == 1)
        let requests = { shell.sends.filter { if case .appendRequest = $0.message { true } else { false } }.count }
        #expect(requests() == 2)
        #expect(counting.sendsAtAppend.last == shell.sends.count)

        // Both followers have the marker: the leader replicates the next frame at once.
        for follower in [NodeID(2), NodeID(3)] {
            let response = AppendResponse(term: driver.core.hardState.term, success: true, matchOffset: LogEnd(1))
            await driver.handle(.receive(Envelope(from: follower, to: NodeID(1), message: .appendResponse(response))))
        }
        let before = shell.sends.count
        await driver.handle(.clientAppend(ClientRequestID(1), batch: try oneRecordBatch(5)))
        #expect(counting.sendsAtAppend.count == 2)
        #expect(shell.sends.count > before, "the client's frame is sent to the followers")
        #expect(counting.sendsAtAppend.last == shell.sends.count, "every send of the step went out before the write")
        #expect(log.nextOffset == Offset(2), "and the write is applied before the step returns")
        await log.close()
    }
}
