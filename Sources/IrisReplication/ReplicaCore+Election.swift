import IrisLog

/// Elections: PreVote, votes, role changes, leader lease and quorum checks.
extension ReplicaCore {
    func memberIndex(of node: NodeID) -> Int? { configuration.members.firstIndex(of: node) }

    mutating func resetElectionTimer() {
        electionElapsedTicks = 0
        let range = configuration.electionTimeoutTicksMin..<configuration.electionTimeoutTicksMax
        let drawn = timeoutSource.nextElectionTimeoutTicks(in: range)
        precondition(range.contains(drawn), "election timeout source returned a value out of range")
        randomizedElectionTimeoutTicks = drawn
    }

    mutating func resetVotes() {
        for index in votes.indices { votes[index] = nil }
        if let own = memberIndex(of: configuration.nodeID) { votes[own] = true }
    }

    /// Whether a candidate's log is at least as up to date as ours (Raft 5.4.1).
    func isUpToDate(lastLogOffset: LogEnd, lastLogTerm: Term) -> Bool {
        let ownTerm = termIndex.lastTerm
        return lastLogTerm > ownTerm || (lastLogTerm == ownTerm && lastLogOffset >= lastOffset)
    }

    /// Whether we heard from a live leader recently enough to refuse to help depose it.
    var isInLeaderLease: Bool {
        role == .leader || (leaderID != nil && electionElapsedTicks < configuration.electionTimeoutTicksMin)
    }

    mutating func becomeFollower(term: Term, leader: NodeID?) {
        let termChanged = term > hardState.term
        if termChanged {
            hardState = HardState(term: term, votedFor: nil)
        }
        if role == .leader { abandonLeadership() }
        if termChanged || leader != leaderID {
            verifiedThroughOffset = .zero
            acknowledgementOwed = false
        }
        role = .follower
        leaderID = leader
        resetElectionTimer()
    }

    /// First phase of an election: ask whether we could win without touching our term,
    /// so a replica rejoining from a partition cannot depose a healthy leader.
    mutating func startPreVote() {
        role = .preCandidate
        leaderID = nil
        resetVotes()
        resetElectionTimer()
        let request = VoteRequest(
            isPreVote: true, term: hardState.term.next,
            lastLogOffset: lastOffset, lastLogTerm: termIndex.lastTerm)
        for peer in peers { send(.voteRequest(request), to: peer) }
        if hasQuorumOfVotes { becomeCandidate() }
    }

    /// Whether the votes granted so far (our own included) form a majority: at once for a
    /// single-member group, which has no one to ask.
    var hasQuorumOfVotes: Bool { votes.count { $0 == true } >= configuration.quorum }

    mutating func becomeCandidate() {
        // Persisted at the end of the step; the requests below are held until it is durable.
        hardState = HardState(term: hardState.term.next, votedFor: configuration.nodeID)
        role = .candidate
        leaderID = nil
        resetVotes()
        resetElectionTimer()
        let request = VoteRequest(
            isPreVote: false, term: hardState.term,
            lastLogOffset: lastOffset, lastLogTerm: termIndex.lastTerm)
        for peer in peers { send(.voteRequest(request), to: peer) }
        if hasQuorumOfVotes { becomeLeader() }
    }

    mutating func becomeLeader() {
        role = .leader
        leaderID = configuration.nodeID
        heartbeatElapsedTicks = 0
        quorumCheckElapsedTicks = 0
        progress = peers.map { _ in
            PeerProgress(
                nextOffset: lastOffset.next,
                inflightBatchesMax: configuration.inflightBatchesMax,
                inflightBytesMax: configuration.inflightBytesMax)
        }
        // An entry of the new term lets earlier-term entries commit (Raft 5.4.2).
        appendLocally([termStartFrame()])
        for index in peers.indices { replicationWanted[index] = true }
    }

    /// Leaving leadership: answers pending client appends with `outcomeUnknown`,
    /// because they may still commit under a later leader.
    mutating func abandonLeadership() {
        for proposal in pendingProposals {
            actions.append(.clientResult(proposal.id, .outcomeUnknown))
        }
        pendingProposals.removeAll()
        transferTarget = nil
        progress = []
        for index in replicationWanted.indices { replicationWanted[index] = false }
    }

    mutating func handleVoteRequest(_ request: VoteRequest, from candidate: NodeID) {
        let upToDate = isUpToDate(lastLogOffset: request.lastLogOffset, lastLogTerm: request.lastLogTerm)
        if request.isPreVote {
            // Never changes our state: a pre-vote is only a promise-free opinion.
            let grant = request.term > hardState.term && !isInLeaderLease && upToDate
            let response = VoteResponse(isPreVote: true, term: grant ? request.term : hardState.term, granted: grant)
            send(.voteResponse(response), to: candidate)
            return
        }
        if request.term < hardState.term {
            send(.voteResponse(VoteResponse(isPreVote: false, term: hardState.term, granted: false)), to: candidate)
            return
        }
        if request.term > hardState.term { becomeFollower(term: request.term, leader: nil) }
        let free = hardState.votedFor == nil || hardState.votedFor == candidate
        let grant = free && upToDate
        if grant {
            if hardState.votedFor != candidate {
                hardState.votedFor = candidate  // the grant below is held until this is durable
            }
            resetElectionTimer()
        }
        send(.voteResponse(VoteResponse(isPreVote: false, term: hardState.term, granted: grant)), to: candidate)
    }

    mutating func handleVoteResponse(_ response: VoteResponse, from voter: NodeID) {
        guard let voterIndex = memberIndex(of: voter) else { preconditionFailure("receive admits only peers") }
        if response.isPreVote {
            // A rejection carries the voter's current term: a newer one is adopted in any
            // role (SPEC.md §9.6.1), before the role check.
            if !response.granted && response.term > hardState.term {
                becomeFollower(term: response.term, leader: nil)
                return
            }
            guard role == .preCandidate else { return }
            if response.granted {
                guard response.term == hardState.term.next else { return }
            }
        } else {
            if response.term > hardState.term {
                becomeFollower(term: response.term, leader: nil)
                return
            }
            guard role == .candidate, response.term == hardState.term else { return }
        }
        votes[voterIndex] = response.granted
        let granted = votes.count { $0 == true }
        let rejected = votes.count { $0 == false }
        if granted >= configuration.quorum {
            if role == .preCandidate { becomeCandidate() } else { becomeLeader() }
        } else if rejected >= configuration.quorum {
            becomeFollower(term: hardState.term, leader: nil)
        }
    }

    mutating func leaderTick() {
        transferTick()
        heartbeatElapsedTicks += 1
        quorumCheckElapsedTicks += 1
        for index in progress.indices { progress[index].ticksSinceProgress += 1 }
        if quorumCheckElapsedTicks >= configuration.electionTimeoutTicksMin {
            quorumCheckElapsedTicks = 0
            // Check quorum: a leader cut off from a majority steps down so clients
            // are redirected and followers can elect a reachable leader.
            let active = 1 + progress.count { $0.recentlyActive }
            for index in progress.indices { progress[index].recentlyActive = false }
            if active < configuration.quorum {
                becomeFollower(term: hardState.term, leader: nil)
                return
            }
        }
        guard heartbeatElapsedTicks >= configuration.heartbeatIntervalTicks else { return }
        heartbeatElapsedTicks = 0
        for index in progress.indices {
            sendHeartbeat(toPeerAt: index)
            let stalled = !progress[index].inflight.isEmpty
                && progress[index].ticksSinceProgress >= configuration.replicationRetryTicks
            if stalled {
                // Presume the unacknowledged batches lost; find the peer's match again.
                progress[index].mode = .probe
                progress[index].nextOffset = progress[index].matchOffset.next
                progress[index].inflight.reset()
            }
            replicationWanted[index] = true
        }
    }
}
