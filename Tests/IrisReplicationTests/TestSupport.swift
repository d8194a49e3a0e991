import IrisLog
import IrisReplication

/// In-memory log for hand-driven core tests: frames as the shell's log would hold them.
struct MemoryLog: LogReader {
    var stored: [SealedFrame] = []
    /// Calls of `frame(holding:)`, the core's single-frame reads.
    let frameReads = CountingLog.Counter()

    var lastOffset: LogEnd { stored.last?.end ?? LogEnd(0) }
    func frame(holding offset: Offset) throws(LogError) -> SealedFrame {
        frameReads.value += 1
        guard let frame = stored.first(where: { $0.baseOffset <= offset && offset < $0.nextOffset }) else {
            throw .offsetOutOfRange(requested: offset, first: Offset(0), next: lastOffset.nextRecord)
        }
        return frame
    }

    func frames(from offset: Offset, bytesMax: Int) throws(LogError) -> [SealedFrame] {
        var result: [SealedFrame] = []
        var bytes = 0
        for frame in stored where frame.nextOffset > offset {
            guard bytes + frame.bytes.count <= bytesMax else { break }
            bytes += frame.bytes.count
            result.append(frame)
        }
        return result
    }

    /// Applies the log-write actions of a step, as the shell contract requires.
    mutating func apply(_ actions: [Action]) {
        for action in actions {
            switch action {
            case .truncateLog(let cut):
                // IrisLog refuses a cut inside a frame (`truncationInsideBatch`).
                precondition(cut == LogEnd(0) || stored.contains { $0.end == cut }, "truncation inside a frame")
                stored.removeAll { $0.start >= cut }
            case .appendToLog(let frames):
                precondition(frames.first?.start == lastOffset, "appended frames must follow the log")
                stored.append(contentsOf: frames)
            default: break
            }
        }
    }
}

/// Always returns the same election timeout, so tests control who times out first.
struct FixedTimeouts: ElectionTimeoutSource {
    let ticks: Int
    mutating func nextElectionTimeoutTicks(in range: Range<Int>) -> Int { ticks }
}

let members = [NodeID(1), NodeID(2), NodeID(3)]

func makeConfiguration(
    _ node: UInt64,
    inflightBatchesMax: Int = 8,
    inflightBytesMax: Int = 64 * 1024,
    messageBytesMax: Int = 16 * 1024,
    frameBytesMax: Int = 4 * 1024,
    uncommittedAppendsMax: Int = 256
) throws -> ReplicaConfiguration {
    try ReplicaConfiguration(
        nodeID: NodeID(node), members: members,
        electionTimeoutTicksMin: 10, electionTimeoutTicksMax: 20, heartbeatIntervalTicks: 2,
        inflightBatchesMax: inflightBatchesMax, inflightBytesMax: inflightBytesMax,
        messageBytesMax: messageBytesMax, frameBytesMax: frameBytesMax,
        uncommittedAppendsMax: uncommittedAppendsMax)
}

/// One core plus its log, driven by hand.
struct HandDrivenReplica {
    var core: ReplicaCore
    var log: MemoryLog

    init(_ configuration: ReplicaConfiguration, hardState: HardState = HardState(),
         frames: [SealedFrame] = [], timeoutTicks: Int = 10) {
        log = MemoryLog(stored: frames)
        do {
            core = try ReplicaCore(configuration: configuration, hardState: hardState, log: log,
                                   timeoutSource: FixedTimeouts(ticks: timeoutTicks))
        } catch {
            preconditionFailure("a hand-built log is readable: \(error)")
        }
    }

    var id: NodeID { core.configuration.nodeID }

    @discardableResult
    mutating func step(_ event: Event) -> [Action] {
        let actions = core.step(event, log: log)
        log.apply(actions)
        return actions
    }

    @discardableResult
    mutating func receive(_ message: Message, from sender: NodeID) -> [Action] {
        step(.receive(Envelope(from: sender, to: id, message: message)))
    }

    /// Completes every requested hard-state persist and the log fsync.
    @discardableResult
    mutating func persistEverything(_ actions: [Action]) -> [Action] {
        var output: [Action] = []
        for case .persistHardState(let state) in actions { output += step(.hardStatePersisted(state)) }
        if let last = log.stored.last { output += step(.logPersisted(through: last.end, term: last.term)) }
        return output
    }

    /// Ticks until the core starts a PreVote, then grants pre-votes and votes
    /// from `voters`, persisting hard state as requested. Ends as leader.
    mutating func becomeLeader(voters: [NodeID]) {
        var ticks = 0
        while core.role != .preCandidate {
            step(.tick)
            ticks += 1
            precondition(ticks < 100, "never campaigned")
        }
        let preVoteTerm = core.hardState.term.next
        var actions: [Action] = []
        for voter in voters {
            actions += receive(.voteResponse(VoteResponse(isPreVote: true, term: preVoteTerm, granted: true)), from: voter)
        }
        persistEverything(actions)
        for voter in voters {
            receive(.voteResponse(VoteResponse(isPreVote: false, term: core.hardState.term, granted: true)), from: voter)
        }
        precondition(core.role == .leader, "did not become leader")
    }
}

extension [Action] {
    var sent: [Envelope] {
        compactMap { if case .send(let envelope) = $0 { envelope } else { nil } }
    }
    var appendRequests: [(to: NodeID, request: AppendRequest)] {
        sent.compactMap { if case .appendRequest(let request) = $0.message { ($0.to, request) } else { nil } }
    }
    var appendResponses: [AppendResponse] {
        sent.compactMap { if case .appendResponse(let response) = $0.message { response } else { nil } }
    }
    var voteResponses: [VoteResponse] {
        sent.compactMap { if case .voteResponse(let response) = $0.message { response } else { nil } }
    }
    var voteRequests: [VoteRequest] {
        sent.compactMap { if case .voteRequest(let request) = $0.message { request } else { nil } }
    }
    var hardStatePersists: [HardState] {
        compactMap { if case .persistHardState(let state) = $0 { state } else { nil } }
    }
    var clientResults: [ClientRequestID: ClientResult] {
        var results: [ClientRequestID: ClientResult] = [:]
        for case .clientResult(let id, let result) in self { results[id] = result }
        return results
    }
    var commits: [LogEnd] {
        compactMap { if case .commitAdvanced(let offset) = $0 { offset } else { nil } }
    }
}

/// A one-record frame of `term` ending at `end` (its record is at IrisLog offset `end - 1`),
/// holding `value`. Hand-built logs are not CRC-chained; the core does not rely on the chain.
func entry(_ term: UInt64, _ end: UInt64, _ value: [UInt8] = []) -> SealedFrame {
    batch(value).sealed(baseOffset: Offset(end - 1), term: Term(term), previousCRC: 0)
}

/// One record holding `value`, encoded as the shell would.
func batch(_ value: [UInt8]) -> EncodedBatch {
    guard let batch = try? EncodedBatch(records: [Record(value: value)], timestampMicroseconds: 1_000) else {
        preconditionFailure("a one-record batch always encodes")
    }
    return batch
}

/// A client append of one record holding `value`.
func clientAppend(_ id: ClientRequestID, _ value: [UInt8]) -> Event {
    .clientAppend(id, batch: batch(value))
}

extension SealedFrame {
    /// The values of the frame's records.
    var values: [[UInt8]] { (try? records().map(\.value)) ?? [] }
}

/// A frame of `term` holding `count` records from IrisLog offset `base` on.
func frame(_ term: UInt64, base: UInt64, count: Int, previousCRC: UInt32 = 0) -> SealedFrame {
    let records = (0..<count).map { Record(value: [UInt8(truncatingIfNeeded: base), UInt8($0)]) }
    guard let batch = try? EncodedBatch(records: records, timestampMicroseconds: 1_000) else {
        preconditionFailure("a non-empty batch always encodes")
    }
    return batch.sealed(baseOffset: Offset(base), term: Term(term), previousCRC: previousCRC)
}
