import IrisLog
import IrisReplication

/// Checks the safety properties after every simulation step, incrementally
/// (chain hashes make prefix comparisons O(1)). Replicas are seen through their `LogMirror`s.
public struct InvariantChecker {
    struct VoterTerm: Hashable {
        let voter: NodeID
        let term: Term
    }

    struct TermOffset: Hashable {
        let term: Term
        let offset: LogEnd
    }

    let replicaCount: Int
    let checkDurabilityOrder: Bool
    var majority: Int { replicaCount / 2 + 1 }

    private var leaderByTerm: [Term: NodeID] = [:]
    /// Vote cast per (voter, term), learned from VoteRequests (self-votes) and granted VoteResponses.
    private var voteByVoterAndTerm: [VoterTerm: NodeID] = [:]
    private var chainByTermOffset: [TermOffset: UInt64] = [:]
    /// The cluster's committed log as observed so far, with its chain hashes.
    public private(set) var committedFrames: [LogMirror.Frame] = []
    /// Commit offset last seen per replica in its current incarnation.
    private var lastCommit: [LogEnd]
    /// Acknowledged appends: first offset -> record values.
    public private(set) var acknowledged: [Offset: [[UInt8]]] = [:]
    /// Client appends answered `notLeader`, `overloaded` or `payloadTooLarge`, by request ID.
    private var refusedRequests: Set<UInt64> = []
    /// Client appends seen in the committed log, by request ID.
    private var committedRequests: Set<UInt64> = []
    /// The first violation found; the checker reports no more after it.
    public private(set) var violation: Violation?
    var now: Int64 = 0

    init(replicaCount: Int, checkDurabilityOrder: Bool) {
        self.replicaCount = replicaCount
        self.checkDurabilityOrder = checkDurabilityOrder
        self.lastCommit = Array(repeating: .zero, count: replicaCount)
    }

    mutating func fail(_ kind: Violation.Kind, _ detail: String) {
        guard violation == nil else { return }
        violation = Violation(kind: kind, timeMicroseconds: now, detail: detail)
    }

    /// At most one leader per term.
    mutating func observeRole(node: Int, core: ReplicaCore) {
        if core.role == .leader {
            let term = core.hardState.term
            if let existing = leaderByTerm[term] {
                if existing != core.configuration.nodeID {
                    fail(.twoLeadersInOneTerm, "\(existing) and \(core.configuration.nodeID) both lead \(term)")
                }
            } else {
                leaderByTerm[term] = core.configuration.nodeID
            }
        }
        if core.commitOffset < lastCommit[node] {
            fail(.commitRegressed, "n\(node + 1) commit went from \(lastCommit[node]) to \(core.commitOffset)")
        }
        lastCommit[node] = max(lastCommit[node], core.commitOffset)
    }

    /// A restarted replica legitimately forgets its (volatile) commit offset.
    mutating func observeRestart(node: Int) { lastCommit[node] = .zero }

    /// Log matching: a frame ending at the same offset with the same term always completes
    /// the same prefix, on every replica and at every time.
    mutating func observeAppend(node: Int, mirror: LogMirror, fromFrame first: Int) {
        for mirrored in mirror.frames[first...] {
            let key = TermOffset(term: mirrored.frame.term, offset: mirrored.frame.end)
            if let known = chainByTermOffset[key] {
                if known != mirrored.chain {
                    fail(.logMatching, "n\(node + 1) holds (\(key.term), \(key.offset)) with a different prefix")
                    return
                }
            } else {
                chainByTermOffset[key] = mirrored.chain
            }
        }
    }

    /// Committed prefixes are identical everywhere, end at frame boundaries, and are durable
    /// on a majority when first committed.
    mutating func observeCommit(node: Int, to offset: LogEnd, mirrors: [LogMirror]) {
        let mirror = mirrors[node]
        guard let hash = mirror.chainHash(at: offset) else {
            fail(.shellContract, "n\(node + 1) committed through \(offset), which is not a frame end of its log (end \(mirror.end))")
            return
        }
        if offset <= committedEnd {
            if committedChainHash(at: offset) != hash {
                fail(.committedPrefixDiverged, "n\(node + 1) committed a different prefix through \(offset)")
            }
            return
        }
        if let known = committedFrames.last, mirror.chainHash(at: committedEnd) != known.chain {
            fail(.committedPrefixDiverged, "n\(node + 1) committed through \(offset) but diverges before \(committedEnd)")
            return
        }
        let start = committedEnd == LogEnd(0) ? 0 : mirror.frameIndex(endingAt: committedEnd)! + 1
        let last = mirror.frameIndex(endingAt: offset)!
        committedFrames.append(contentsOf: mirror.frames[start...last])
        for mirrored in mirror.frames[start...last] { observeCommittedRequest(in: mirrored.frame) }
        let durableHolders = mirrors.count { $0.durableChainHash(at: offset) == hash }
        if durableHolders < majority {
            fail(.committedWithoutDurableMajority,
                 "n\(node + 1) committed \(offset) while only \(durableHolders) replicas hold it durably")
        }
    }

    /// A client append was refused: nothing may have been appended for it (SPEC.md §9.10 rule 1).
    mutating func observeRefusal(requestID: UInt64) {
        if committedRequests.contains(requestID) {
            fail(.refusedAppendCommitted, "request \(requestID) was refused after it committed")
        }
        refusedRequests.insert(requestID)
    }

    /// Records the client request a committed frame holds: every client batch's first record
    /// begins with its 8-byte request ID; a leader's term-start marker is no client's.
    mutating func observeCommittedRequest(in frame: SealedFrame) {
        guard let first = try? frame.records().first else {
            fail(.committedPrefixDiverged, "a committed frame at \(frame.baseOffset) does not decode")
            return
        }
        guard first.headers.isEmpty, first.value.count >= 8 else { return }
        let id = first.value.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        if refusedRequests.contains(id) {
            fail(.refusedAppendCommitted, "request \(id) was refused, yet committed at \(frame.baseOffset)")
        }
        committedRequests.insert(id)
    }

    /// End of the committed prefix observed so far.
    var committedEnd: LogEnd { committedFrames.last?.frame.end ?? LogEnd(0) }

    /// Chain hash of the committed prefix ending at `end`; nil when no committed frame ends there.
    func committedChainHash(at end: LogEnd) -> UInt64? {
        if end == LogEnd(0) { return 0 }
        var low = 0
        var high = committedFrames.count
        while low < high {
            let middle = (low + high) / 2
            if committedFrames[middle].frame.end < end { low = middle + 1 } else { high = middle }
        }
        return low < committedFrames.count && committedFrames[low].frame.end == end ? committedFrames[low].chain : nil
    }

    /// After a truncation or crash: every committed record is still on a majority.
    mutating func checkCommittedStillHeld(mirrors: [LogMirror], cause: String) {
        guard let last = committedFrames.last else { return }
        let holders = mirrors.count { $0.chainHash(at: last.frame.end) == last.chain }
        if holders < majority {
            fail(.committedEntryLost, "after \(cause) only \(holders) replicas hold the committed prefix through \(last.frame.end)")
        }
    }

    /// After a power loss and IrisLog's recovery: every record synced before is still there,
    /// unchanged (the engine's durability promise, checked under replication's write pattern),
    /// and the recovered log is a prefix of what was written, frame by frame and byte for byte
    /// (chain hashes): nothing invented, nothing truncated brought back.
    ///
    /// - Parameters:
    ///   - written: every frame written since the last truncation, including those of an
    ///     append the crash interrupted; its `durableEnd` is what was synced.
    ///   - interruptedCut: the end a truncation the crash interrupted was cutting to; it may
    ///     have cut the durable frames after it.
    mutating func checkRecovered(node: Int, written: LogMirror, after: LogMirror, interruptedCut: LogEnd? = nil) {
        // A truncation the crash interrupted may have cut the durable suffix after its cut.
        let durableEnd = interruptedCut.map { min($0, written.durableEnd) } ?? written.durableEnd
        if after.end < durableEnd || after.chainHash(at: durableEnd) != written.chainHash(at: durableEnd) {
            fail(.storage, "n\(node + 1) recovered its log to \(after.end) but had synced through \(durableEnd)")
        } else if after.end > written.end || after.chainHash(at: after.end) != written.chainHash(at: after.end) {
            fail(.storage, "n\(node + 1) recovered frames through \(after.end) that were not written (written through \(written.end))")
        }
    }

    /// A client was told "committed, first record at `first`": the committed log holds its
    /// records there, in one frame, with the same values.
    mutating func observeAcknowledgement(first: Offset, values: [[UInt8]]) {
        guard let frame = committedFrames.first(where: { $0.frame.baseOffset == first })?.frame else {
            fail(.acknowledgedAppendLost, "acknowledged at \(first) but no committed frame starts there (committed through \(committedEnd))")
            return
        }
        guard let records = try? frame.records(), records.map(\.value) == values else {
            fail(.acknowledgedAppendLost, "acknowledged at \(first) but the committed frame there holds other records")
            return
        }
        acknowledged[first] = values
    }

    /// One vote per replica per term, across restarts.
    mutating func observeVote(voter: NodeID, candidate: NodeID, term: Term) {
        let key = VoterTerm(voter: voter, term: term)
        if let previous = voteByVoterAndTerm[key] {
            if previous != candidate {
                fail(.votedTwiceInOneTerm, "\(voter) voted for \(previous) and \(candidate) in \(term)")
            }
        } else {
            voteByVoterAndTerm[key] = candidate
        }
    }

    /// Persist-before-send: a message never depends on state that is not yet durable.
    mutating func observeSend(node: Int, envelope: Envelope, mirror: LogMirror, hardState durable: HardState) {
        switch envelope.message {
        case .voteRequest(let request) where !request.isPreVote:
            observeVote(voter: envelope.from, candidate: envelope.from, term: request.term)
        case .voteResponse(let response) where !response.isPreVote && response.granted:
            observeVote(voter: envelope.from, candidate: envelope.to, term: response.term)
        default:
            break
        }
        guard checkDurabilityOrder else { return }
        let sender = envelope.from
        switch envelope.message {
        case .voteRequest(let request):
            guard !request.isPreVote else { return }
            if durable.term < request.term || (durable.term == request.term && durable.votedFor != sender) {
                fail(.sentBeforeDurable, "n\(node + 1) requested votes in \(request.term) with durable \(durable)")
            }
        case .voteResponse(let response):
            guard !response.isPreVote else { return }
            if durable.term < response.term {
                fail(.sentBeforeDurable, "n\(node + 1) answered in \(response.term) with durable \(durable)")
            } else if response.granted && durable.term == response.term && durable.votedFor != envelope.to {
                fail(.sentBeforeDurable, "n\(node + 1) granted a vote to \(envelope.to) in \(response.term) with durable \(durable)")
            }
        case .appendRequest(let request):
            if durable.term < request.term {
                fail(.sentBeforeDurable, "n\(node + 1) sent Append in \(request.term) with durable \(durable)")
            }
        case .appendResponse(let response):
            if durable.term < response.term {
                fail(.sentBeforeDurable, "n\(node + 1) answered Append in \(response.term) with durable \(durable)")
            } else if response.success && response.matchOffset > mirror.durableEnd {
                fail(.sentBeforeDurable,
                     "n\(node + 1) acknowledged \(response.matchOffset) with records durable only below \(mirror.durableEnd)")
            }
        case .timeoutNow(let message):
            if durable.term < message.term {
                fail(.sentBeforeDurable, "n\(node + 1) sent TimeoutNow in \(message.term) with durable \(durable)")
            }
        }
    }

    /// Final check: every acknowledged append is in the committed log with identical bytes.
    mutating func checkAllAcknowledged() {
        for (first, values) in acknowledged.sorted(by: { $0.key < $1.key }) {
            observeAcknowledgement(first: first, values: values)
        }
    }
}
