/// Log replication: AppendRequest handling, per-peer flow control, commit rule.
extension ReplicaCore {
    // MARK: Follower side

    mutating func handleAppendRequest(_ request: AppendRequest, from leader: NodeID) {
        if request.term < hardState.term {
            if configuration.plantedBugs.contains(.noTermCheckOnAppend) && role == .follower {
                acceptStaleAppend(request, from: leader)
                return
            }
            // Tell the stale leader about the newer term so it steps down.
            send(.appendResponse(AppendResponse(
                term: hardState.term, success: false, matchOffset: .zero,
                rejectedPrevLogOffset: request.prevLogOffset)), to: leader)
            return
        }
        if role == .leader {
            // Two leaders in one term: impossible unless a planted bug broke voting.
            precondition(request.term > hardState.term || !configuration.plantedBugs.isEmpty,
                         "two leaders in one term")
            if request.term == hardState.term { return }
        }
        if request.term > hardState.term || role != .follower || leaderID != leader {
            becomeFollower(term: request.term, leader: leader)
        }
        electionElapsedTicks = 0

        guard request.prevLogOffset <= lastOffset,
              termIndex.term(at: request.prevLogOffset) == request.prevLogTerm
        else {
            let hintOffset = termIndex.lastOffset(
                atOrBefore: min(request.prevLogOffset, lastOffset), withTermAtMost: request.prevLogTerm)
            send(.appendResponse(AppendResponse(
                term: hardState.term, success: false, matchOffset: .zero,
                rejectedPrevLogOffset: request.prevLogOffset,
                hintOffset: hintOffset, hintTerm: termIndex.term(at: hintOffset) ?? .zero)), to: leader)
            return
        }
        guard mergeEntries(request.entries) else { return }
        verifiedThroughOffset = max(verifiedThroughOffset, request.lastOffset)
        commit(through: min(request.commitOffset, request.lastOffset))

        if durableOffset >= request.lastOffset
            || configuration.plantedBugs.contains(.followerAcksBeforeFsync) {
            send(.appendResponse(AppendResponse(
                term: hardState.term, success: true, matchOffset: request.lastOffset)), to: leader)
        } else {
            // Acknowledge only what is fsynced: the leader counts this ack toward commit.
            acknowledgementOwed = true
        }
    }

    /// Writes the entries of a matching request that the log lacks, truncating a
    /// divergent (necessarily uncommitted) suffix first. Returns false if the request
    /// conflicts with committed entries and was ignored.
    mutating func mergeEntries(_ entries: [Entry]) -> Bool {
        for (position, entry) in entries.enumerated() {
            if let existing = termIndex.term(at: entry.offset) {
                if existing == entry.term { continue }
                if entry.offset <= commitOffset && !configuration.plantedBugs.contains(.noTermCheckOnAppend) {
                    return false  // a correct leader never contradicts committed entries
                }
                truncateLocally(after: entry.offset.previous)
            }
            appendLocally(Array(entries[position...]))
            return true
        }
        return true
    }

    /// PLANTED BUG `noTermCheckOnAppend`: applies a stale leader's entries.
    mutating func acceptStaleAppend(_ request: AppendRequest, from leader: NodeID) {
        guard request.prevLogOffset <= lastOffset,
              termIndex.term(at: request.prevLogOffset) == request.prevLogTerm,
              mergeEntries(request.entries)
        else { return }
        commit(through: min(request.commitOffset, request.lastOffset))
        if durableOffset >= request.lastOffset {
            send(.appendResponse(AppendResponse(
                term: hardState.term, success: true, matchOffset: request.lastOffset)), to: leader)
        }
    }

    /// Sends the acknowledgement deferred until the verified prefix became durable.
    mutating func sendOwedAcknowledgement() {
        guard acknowledgementOwed, let leader = leaderID else { return }
        let match = min(verifiedThroughOffset, durableOffset)
        guard match > .zero else { return }
        acknowledgementOwed = match < verifiedThroughOffset
        send(.appendResponse(AppendResponse(term: hardState.term, success: true, matchOffset: match)), to: leader)
    }

    // MARK: Leader side

    mutating func handleAppendResponse(_ response: AppendResponse, from peer: NodeID) {
        if response.term > hardState.term {
            becomeFollower(term: response.term, leader: nil)
            return
        }
        guard role == .leader, response.term == hardState.term,
              let index = peers.firstIndex(of: peer) else { return }
        progress[index].recentlyActive = true
        if response.success {
            handleAcknowledgement(match: min(response.matchOffset, lastOffset), peerAt: index)
        } else {
            handleRejection(response, peerAt: index)
        }
    }

    mutating func handleAcknowledgement(match: Offset, peerAt index: Int) {
        var peer = progress[index]
        let advanced = match > peer.matchOffset
        if advanced {
            peer.matchOffset = match
            peer.ticksSinceProgress = 0
        }
        peer.inflight.free(through: match)
        if peer.mode == .probe && match >= peer.nextOffset.previous {
            // Match found: switch from one-at-a-time catch-up to pipelining.
            peer.mode = .replicate
            peer.inflight.reset()
            peer.nextOffset = peer.matchOffset.next
        }
        if peer.mode == .replicate { peer.nextOffset = max(peer.nextOffset, peer.matchOffset.next) }
        progress[index] = peer
        replicationWanted[index] = true
        if advanced { advanceCommit() }
    }

    mutating func handleRejection(_ response: AppendResponse, peerAt index: Int) {
        var peer = progress[index]
        switch peer.mode {
        case .replicate:
            guard response.rejectedPrevLogOffset > peer.matchOffset else { return }  // stale
            peer.mode = .probe
        case .probe:
            guard response.rejectedPrevLogOffset == peer.nextOffset.previous else { return }  // stale
        }
        // Skip back over the whole divergent term using the follower's hint.
        let target = termIndex.lastOffset(atOrBefore: response.hintOffset, withTermAtMost: response.hintTerm)
        peer.nextOffset = max(peer.matchOffset.next, min(target.next, response.rejectedPrevLogOffset))
        peer.inflight.reset()
        progress[index] = peer
        replicationWanted[index] = true
    }

    /// Commit rule: the highest offset durably held by a majority (the leader counting
    /// itself only through its own fsynced offset), and only if that entry is of the
    /// current term (Raft 5.4.2).
    mutating func advanceCommit() {
        var matches = progress.map(\.matchOffset)
        matches.append(min(durableOffset, lastOffset))
        matches.sort(by: >)
        var required = configuration.quorum
        if configuration.plantedBugs.contains(.commitOnMinority) { required = configuration.members.count / 2 }
        let candidate = matches[required - 1]
        guard candidate > commitOffset, termIndex.term(at: candidate) == hardState.term else { return }
        commit(through: candidate)
    }

    mutating func sendHeartbeat(toPeerAt index: Int) {
        // An empty AppendRequest at the peer's known match: it always matches on a
        // correct follower, so it only refreshes leadership and carries commit.
        let match = progress[index].matchOffset
        send(.appendRequest(AppendRequest(
            term: hardState.term, prevLogOffset: match,
            prevLogTerm: termIndex.term(at: match) ?? .zero,
            entries: [], commitOffset: commitOffset)), to: peers[index])
    }

    /// Sends what flow control allows to every peer marked during this step.
    mutating func sendWantedReplication(log: some LogReader) {
        for index in peers.indices where replicationWanted[index] {
            replicationWanted[index] = false
            while sendAppend(toPeerAt: index, log: log) {}
        }
    }

    /// Sends one AppendRequest to a peer if its window allows. Returns whether
    /// another one might be sent right away.
    mutating func sendAppend(toPeerAt index: Int, log: some LogReader) -> Bool {
        var peer = progress[index]
        switch peer.mode {
        case .probe: guard peer.inflight.isEmpty else { return false }
        case .replicate: guard peer.inflight.count < configuration.inflightBatchesMax else { return false }
        }
        let previous = peer.nextOffset.previous
        guard let previousTerm = termIndex.term(at: previous) else {
            preconditionFailure("peer next offset beyond the leader's log")
        }
        let budget = min(configuration.messageBytesMax, peer.inflight.bytesAvailable)
        let entries = peer.nextOffset <= lastOffset
            ? readEntries(from: peer.nextOffset, bytesMax: budget, log: log) : []
        if peer.mode == .replicate && entries.isEmpty { return false }
        let request = AppendRequest(
            term: hardState.term, prevLogOffset: previous, prevLogTerm: previousTerm,
            entries: entries, commitOffset: commitOffset)
        if peer.inflight.isEmpty { peer.ticksSinceProgress = 0 }
        peer.inflight.add(lastOffset: request.lastOffset, bytes: request.accountedBytes)
        if peer.mode == .replicate { peer.nextOffset = request.lastOffset.next }
        progress[index] = peer
        send(.appendRequest(request), to: peers[index])
        return peer.mode == .replicate && peer.nextOffset <= lastOffset
    }

    /// Reads entries for a peer: from the shell's log, plus entries appended during
    /// this step (not yet visible through the reader). Nothing is cached, so memory
    /// stays bounded however far behind a peer is.
    func readEntries(from first: Offset, bytesMax: Int, log: some LogReader) -> [Entry] {
        let readerLast = log.lastOffset
        precondition(
            readerLast.advanced(by: UInt64(appendedThisStep.count)) == lastOffset,
            "the log reader does not reflect the actions of earlier steps")
        var entries: [Entry] = []
        var bytes = 0
        if first <= readerLast {
            entries = log.entries(from: first, through: readerLast, bytesMax: bytesMax)
            bytes = entries.reduce(0) { $0 + $1.accountedBytes }
            if entries.last?.offset != readerLast { return entries }
        }
        let start = Int(max(first, readerLast.next).rawValue - readerLast.next.rawValue)
        guard start < appendedThisStep.count else { return entries }
        for entry in appendedThisStep[start...] {
            guard bytes + entry.accountedBytes <= bytesMax else { break }
            bytes += entry.accountedBytes
            entries.append(entry)
        }
        return entries
    }
}
