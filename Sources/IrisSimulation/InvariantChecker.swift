import IrisReplication

/// Checks the safety properties after every simulation step, incrementally
/// (chain hashes make prefix comparisons O(1)).
public struct InvariantChecker {
    struct VoterTerm: Hashable {
        let voter: NodeID
        let term: Term
    }

    struct TermOffset: Hashable {
        let term: Term
        let offset: Offset
    }

    let replicaCount: Int
    let checkDurabilityOrder: Bool
    var majority: Int { replicaCount / 2 + 1 }

    private var leaderByTerm: [Term: NodeID] = [:]
    /// Vote cast per (voter, term), learned from VoteRequests (self-votes) and granted VoteResponses.
    private var voteByVoterAndTerm: [VoterTerm: NodeID] = [:]
    private var chainByTermOffset: [TermOffset: UInt64] = [:]
    /// The cluster's committed log as observed so far, with its chain hashes.
    public private(set) var committedEntries: [Entry] = []
    private var committedChain: [UInt64] = []
    /// Commit offset last seen per replica in its current incarnation.
    private var lastCommit: [Offset]
    /// Acknowledged appends: offset -> payload.
    public private(set) var acknowledged: [Offset: [UInt8]] = [:]
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

    /// Log matching: the same (term, offset) always has the same prefix.
    mutating func observeAppend(node: Int, disk: SimulatedDisk, from first: Offset) {
        var offset = first
        while offset <= disk.lastOffset {
            let entry = disk.entries[Int(offset.rawValue) - 1]
            let hash = disk.chainHash(at: offset)!
            let key = TermOffset(term: entry.term, offset: offset)
            if let known = chainByTermOffset[key] {
                if known != hash {
                    fail(.logMatching, "n\(node + 1) holds (\(entry.term), \(offset)) with a different prefix")
                    return
                }
            } else {
                chainByTermOffset[key] = hash
            }
            offset = offset.next
        }
    }

    /// Committed prefixes are identical everywhere, and durable on a majority when first committed.
    mutating func observeCommit(node: Int, to offset: Offset, disks: [SimulatedDisk]) {
        let disk = disks[node]
        guard let hash = disk.chainHash(at: offset) else {
            fail(.shellContract, "n\(node + 1) committed \(offset) beyond its log \(disk.lastOffset)")
            return
        }
        let count = Int(offset.rawValue)
        if count <= committedChain.count {
            if committedChain[count - 1] != hash {
                fail(.committedPrefixDiverged, "n\(node + 1) committed a different prefix through \(offset)")
            }
            return
        }
        if let known = committedChain.last, disk.chainHash(at: Offset(UInt64(committedChain.count))) != known {
            fail(.committedPrefixDiverged, "n\(node + 1) committed through \(offset) but diverges before \(committedChain.count)")
            return
        }
        for index in committedChain.count..<count {
            committedEntries.append(disk.entries[index])
            committedChain.append(disk.chainHash(at: Offset(UInt64(index + 1)))!)
        }
        let durableHolders = disks.count { $0.durableChainHash(at: offset) == hash }
        if durableHolders < majority {
            fail(.committedWithoutDurableMajority,
                 "n\(node + 1) committed \(offset) while only \(durableHolders) replicas hold it durably")
        }
    }

    /// After a truncation or crash: every committed entry is still on a majority.
    mutating func checkCommittedStillHeld(disks: [SimulatedDisk], cause: String) {
        guard let hash = committedChain.last else { return }
        let offset = Offset(UInt64(committedChain.count))
        let holders = disks.count { $0.chainHash(at: offset) == hash }
        if holders < majority {
            fail(.committedEntryLost, "after \(cause) only \(holders) replicas hold the committed prefix through \(offset)")
        }
    }

    /// A client was told "committed at offset": the committed log holds its bytes there.
    mutating func observeAcknowledgement(offset: Offset, payload: [UInt8]) {
        let index = Int(offset.rawValue) - 1
        guard index >= 0, index < committedEntries.count else {
            fail(.acknowledgedAppendLost, "acknowledged \(offset) but the cluster committed only through \(committedEntries.count)")
            return
        }
        if committedEntries[index].payload != payload {
            fail(.acknowledgedAppendLost, "acknowledged \(offset) holds different bytes")
        }
        acknowledged[offset] = payload
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
    mutating func observeSend(node: Int, envelope: Envelope, disk: SimulatedDisk) {
        switch envelope.message {
        case .voteRequest(let request) where !request.isPreVote:
            observeVote(voter: envelope.from, candidate: envelope.from, term: request.term)
        case .voteResponse(let response) where !response.isPreVote && response.granted:
            observeVote(voter: envelope.from, candidate: envelope.to, term: response.term)
        default:
            break
        }
        guard checkDurabilityOrder else { return }
        let durable = disk.hardStateDurable
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
            } else if response.success && Int(response.matchOffset.rawValue) > disk.durableCount {
                fail(.sentBeforeDurable,
                     "n\(node + 1) acknowledged \(response.matchOffset) with only \(disk.durableCount) entries durable")
            }
        }
    }

    /// Final check: every acknowledged append is in the committed log with identical bytes.
    mutating func checkAllAcknowledged() {
        for (offset, payload) in acknowledged.sorted(by: { $0.key < $1.key }) {
            observeAcknowledgement(offset: offset, payload: payload)
        }
    }
}
