import IrisReplication

/// In-memory log for hand-driven core tests.
struct MemoryLog: LogReader {
    var stored: [Entry] = []

    var lastOffset: Offset { Offset(UInt64(stored.count)) }

    func entries(from first: Offset, through last: Offset, bytesMax: Int) -> [Entry] {
        var result: [Entry] = []
        var bytes = 0
        var index = Int(first.rawValue) - 1
        while index < min(Int(last.rawValue), stored.count) {
            guard bytes + stored[index].accountedBytes <= bytesMax else { break }
            bytes += stored[index].accountedBytes
            result.append(stored[index])
            index += 1
        }
        return result
    }

    /// Applies the log-write actions of a step, as the shell contract requires.
    mutating func apply(_ actions: [Action]) {
        for action in actions {
            switch action {
            case .truncateLog(let offset): stored.removeSubrange(Int(offset.rawValue)...)
            case .appendToLog(let entries): stored.append(contentsOf: entries)
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
    entryPayloadBytesMax: Int = 4 * 1024,
    uncommittedEntriesMax: Int = 256
) throws -> ReplicaConfiguration {
    try ReplicaConfiguration(
        nodeID: NodeID(node), members: members,
        electionTimeoutTicksMin: 10, electionTimeoutTicksMax: 20, heartbeatIntervalTicks: 2,
        inflightBatchesMax: inflightBatchesMax, inflightBytesMax: inflightBytesMax,
        messageBytesMax: messageBytesMax, entryPayloadBytesMax: entryPayloadBytesMax,
        uncommittedEntriesMax: uncommittedEntriesMax)
}

/// One core plus its log, driven by hand.
struct HandDrivenReplica {
    var core: ReplicaCore
    var log: MemoryLog

    init(_ configuration: ReplicaConfiguration, hardState: HardState = HardState(),
         entries: [Entry] = [], timeoutTicks: Int = 10) {
        log = MemoryLog(stored: entries)
        core = ReplicaCore(configuration: configuration, hardState: hardState, log: log,
                           timeoutSource: FixedTimeouts(ticks: timeoutTicks))
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
        if let last = log.stored.last { output += step(.logPersisted(through: last.offset, term: last.term)) }
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
    var commits: [Offset] {
        compactMap { if case .commitAdvanced(let offset) = $0 { offset } else { nil } }
    }
}

func entry(_ term: UInt64, _ offset: UInt64, _ payload: [UInt8] = []) -> Entry {
    Entry(term: Term(term), offset: Offset(offset), payload: payload)
}
