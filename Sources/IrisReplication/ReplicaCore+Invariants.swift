import IrisLog

/// The core's invariants, checked at the end of every `step` (and of `init`): one fact per
/// `precondition`, so a broken one names itself. Each is a fact the code maintains; none
/// depends on what peers send, which is validated before it is acted on.
extension ReplicaCore {
    func checkInvariants() {
        precondition(lastFrame.end == lastOffset, "lastFrame describes the frame ending the log")
        precondition(durableOffset <= lastOffset, "durable offset within the log")
        precondition(commitOffset <= lastOffset, "commit offset within the log")
        precondition(verifiedThroughOffset <= lastOffset, "verified prefix within the log")
        precondition(termIndex.lastTerm <= hardState.term, "no entry of a term the replica has not reached")
        precondition(durableHardState.term <= hardState.term, "durable term never ahead of the current one")
        precondition(requestedHardState.term <= hardState.term, "no persist requested beyond the current term")
        precondition(heldMessages.count <= configuration.heldMessagesMax, "held messages bounded")
        precondition(!isHardStateDurable || heldMessages.isEmpty, "nothing held once the hard state is durable")
        checkTermIndex()
        switch role {
        case .leader: checkLeader()
        case .candidate:
            precondition(hardState.votedFor == configuration.nodeID, "a candidate voted for itself")
            checkNotLeader()
        case .preCandidate, .follower:
            checkNotLeader()
        }
    }

    private func checkTermIndex() {
        var previous: TermIndex.Run?
        for run in termIndex.runs {
            precondition(run.term > .zero, "no entry has term 0")
            precondition(run.firstOffset <= lastOffset, "runs start within the log")
            if let previous {
                precondition(run.term > previous.term, "run terms increase")
                precondition(run.firstOffset > previous.firstOffset, "runs start in offset order")
            }
            previous = run
        }
    }

    private func checkNotLeader() {
        precondition(leaderID != configuration.nodeID, "only a leader names itself leader")
        precondition(progress.isEmpty, "only a leader tracks peers")
        precondition(pendingProposals.isEmpty, "only a leader holds client appends")
        if role != .follower { precondition(leaderID == nil, "a campaigning replica knows no leader") }
    }

    private func checkLeader() {
        precondition(leaderID == configuration.nodeID, "a leader names itself leader")
        precondition(hardState.votedFor == configuration.nodeID, "a leader voted for itself in its term")
        precondition(progress.count == peers.count, "a leader tracks every peer")
        for peer in progress {
            precondition(peer.matchOffset <= lastOffset, "a peer's match lies within the leader's log")
            precondition(peer.nextOffset <= lastOffset.next, "a peer's next offset at most one past the log")
            precondition(peer.nextOffset > .zero, "a peer's next offset names a record")
            precondition(peer.inflight.count <= configuration.inflightBatchesMax, "in-flight batches bounded")
            precondition(peer.inflight.bytes <= configuration.inflightBytesMax, "in-flight bytes bounded")
        }
        precondition(pendingProposals.count <= configuration.uncommittedAppendsMax, "client appends bounded")
        var previousEnd = commitOffset
        for proposal in pendingProposals {
            precondition(proposal.end > previousEnd, "pending appends uncommitted and in offset order")
            precondition(proposal.end <= lastOffset, "pending appends within the log")
            previousEnd = proposal.end
        }
    }
}
