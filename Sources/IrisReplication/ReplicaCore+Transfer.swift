import IrisLog

/// Leadership transfer (SPEC.md §9.13): a leader asked to hand over to a peer waits until the
/// peer's log matches its own, refusing client appends meanwhile, then sends it `TimeoutNow`;
/// the peer campaigns at once, skipping PreVote, and wins the next term if a majority's logs
/// allow it. A transfer not done within one minimum election timeout is abandoned.
extension ReplicaCore {
    mutating func transferLeadership(to target: NodeID) {
        guard role == .leader, let index = peers.firstIndex(of: target) else { return }
        transferTarget = target
        transferElapsedTicks = 0
        sendTimeoutNowIfCaughtUp(peerAt: index)
    }

    /// Sends `TimeoutNow` to the transfer target once its match reaches the end of our log.
    mutating func sendTimeoutNowIfCaughtUp(peerAt index: Int) {
        guard let target = transferTarget, peers[index] == target, progress[index].matchOffset == lastOffset else { return }
        send(.timeoutNow(TimeoutNow(term: hardState.term)), to: target)
    }

    /// Counts a leader tick against a pending transfer; abandons it after one minimum election timeout.
    mutating func transferTick() {
        guard transferTarget != nil else { return }
        transferElapsedTicks += 1
        if transferElapsedTicks >= configuration.electionTimeoutTicksMin { transferTarget = nil }
    }

    mutating func handleTimeoutNow(_ message: TimeoutNow, from leader: NodeID) {
        // Only the current leader of our term may ask; anything else is stale or confused.
        guard message.term == hardState.term, role == .follower, leaderID == leader else { return }
        becomeCandidate()
    }
}
