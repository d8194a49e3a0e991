import IrisLog
import IrisReplication
import Testing

/// A `MemoryLog` whose reads can be made to fail, as a disk error or a corrupt frame would.
struct FailingLog: LogReader {
    final class Switch: @unchecked Sendable { var failing = false }
    var memory: MemoryLog
    let failure = Switch()
    static let error = LogError.io(operation: "pread", path: "/log/0.log", errno: 5, message: "I/O error")

    var lastOffset: LogEnd { memory.lastOffset }
    func frame(holding offset: Offset) throws(LogError) -> SealedFrame {
        if failure.failing { throw Self.error }
        return try memory.frame(holding: offset)
    }
    func frames(from offset: Offset, bytesMax: Int) throws(LogError) -> [SealedFrame] {
        if failure.failing { throw Self.error }
        return try memory.frames(from: offset, bytesMax: bytesMax)
    }
}

/// SPEC.md §9.3.1: a log that cannot be read stops the replica with a typed fault; it never traps.
@Suite("Log read faults")
struct LogFaultTests {
    @Test func unreadableLogAtStartupIsATypedError() throws {
        var log = FailingLog(memory: MemoryLog(stored: [entry(1, 1), entry(2, 2)]))
        log.failure.failing = true
        #expect(throws: ReplicaFault.logUnreadable(offset: .zero, error: FailingLog.error)) {
            try ReplicaCore(configuration: try makeConfiguration(1), hardState: HardState(term: Term(2)), log: log,
                            timeoutSource: FixedTimeouts(ticks: 10))
        }
        log.memory.stored = [entry(2, 1), entry(1, 2)]
        log.failure.failing = false
        #expect(throws: ReplicaFault.self, "terms that decrease are not a replicated log") {
            try ReplicaCore(configuration: try makeConfiguration(1), hardState: HardState(term: Term(2)), log: log,
                            timeoutSource: FixedTimeouts(ticks: 10))
        }
    }

    /// A leader that cannot read the frames a lagging peer needs halts; its pending client
    /// appends are answered `outcomeUnknown`.
    @Test func leaderHaltsWhenItCannotReadFramesForAPeer() throws {
        var leader = HandDrivenReplica(try makeConfiguration(1), hardState: HardState(term: Term(1)), frames: [entry(1, 1)])
        leader.becomeLeader(voters: [NodeID(2)])
        leader.step(clientAppend(ClientRequestID(7), [7]))
        var log = FailingLog(memory: leader.log)
        log.failure.failing = true
        // n3 rejects: it needs the frames from the start, which must be read from the log.
        let actions = leader.core.step(.receive(Envelope(from: NodeID(3), to: NodeID(1), message: .appendResponse(AppendResponse(
            term: Term(2), success: false, matchOffset: .zero, rejectedPrevLogOffset: LogEnd(1))))), log: log)
        #expect(actions.last == .halt(.logUnreadable(offset: .zero, error: FailingLog.error)))
        #expect(actions.clientResults == [ClientRequestID(7): .outcomeUnknown])
        #expect(leader.core.fault != nil)
        #expect(leader.core.role == .follower)
    }

    /// Replicas configured with different `frameBytesMax`: a frame in the log that no
    /// AppendRequest can carry halts the leader instead of trapping it on every probe.
    @Test func leaderHaltsOnAFrameLargerThanAMessage() throws {
        let large = entry(1, 1, Array(repeating: 9, count: 600))
        var leader = HandDrivenReplica(
            try makeConfiguration(1, messageBytesMax: 300, frameBytesMax: 200), hardState: HardState(term: Term(1)), frames: [large])
        leader.becomeLeader(voters: [NodeID(2)])
        let actions = leader.receive(.appendResponse(AppendResponse(
            term: Term(2), success: false, matchOffset: .zero, rejectedPrevLogOffset: LogEnd(1))), from: NodeID(3))
        #expect(actions.last == .halt(.frameExceedsMessageBytesMax(offset: .zero, messageBytesMax: 300)))
    }

    /// A follower that must check a cut point and cannot read it halts instead of guessing.
    @Test func followerHaltsWhenItCannotReadTheFrameBeforeACut() throws {
        let follower = HandDrivenReplica(
            try makeConfiguration(2), hardState: HardState(term: Term(1)), frames: [entry(1, 1), entry(1, 2)])
        var core = follower.core
        var log = FailingLog(memory: follower.log)
        log.failure.failing = true
        let actions = core.step(.receive(Envelope(from: NodeID(1), to: NodeID(2), message: .appendRequest(AppendRequest(
            term: Term(2), prevLogOffset: LogEnd(1), prevLogTerm: Term(1), frames: [entry(2, 2)], commitOffset: .zero)))),
            log: log)
        #expect(actions.last == .halt(.logUnreadable(offset: .zero, error: FailingLog.error)))
        #expect(!actions.contains { if case .truncateLog = $0 { true } else { false } })
    }
}
