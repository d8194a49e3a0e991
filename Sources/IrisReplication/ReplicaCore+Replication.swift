import IrisLog

/// Log replication: AppendRequest handling, per-peer flow control, commit rule.
extension ReplicaCore {
    // MARK: Follower side

    /// Handles a request that passed `AppendRequest.defect` (checked in `receive`).
    mutating func handleAppendRequest(
        _ request: AppendRequest, from leader: NodeID, log: some LogReader
    ) throws(ReplicaFault) {
        if request.term < hardState.term {
            if configuration.plantedBugs.contains(.noTermCheckOnAppend) && role == .follower {
                try acceptStaleAppend(request, from: leader, log: log)
                return
            }
            // Tell the stale leader about the newer term so it steps down.
            send(.appendResponse(AppendResponse(
                term: hardState.term, success: false, matchOffset: .zero,
                rejectedPrevLogOffset: request.prevLogOffset)), to: leader)
            return
        }
        if role == .leader && request.term == hardState.term {
            // Two leaders in one term: impossible between correct members (SPEC.md §9.7.8).
            reject(.secondLeaderInTerm)
            return
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
        guard try mergeFrames(request.frames, log: log) else { return }
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

    /// Writes the frames of a matching request that the log lacks, truncating a divergent
    /// (necessarily uncommitted) suffix first. Returns false if the request was ignored: it
    /// conflicts with committed records, or would cut a local frame.
    ///
    /// A frame is held already when the local record at its end has its term: one leader
    /// writes each position of a term once, and frames are stored whole, so that record
    /// belongs to the same frame. Otherwise everything after the frame's base offset
    /// diverges; the base is a local frame boundary because the frames before it are held,
    /// which one read confirms before the cut (a peer could send other boundaries).
    mutating func mergeFrames(_ frames: [SealedFrame], log: some LogReader) throws(ReplicaFault) -> Bool {
        for (position, frame) in frames.enumerated() {
            if termIndex.term(at: frame.end) == frame.term { continue }
            if frame.start < lastOffset {
                if frame.start < commitOffset && !configuration.plantedBugs.contains(.noTermCheckOnAppend) {
                    return false  // a correct leader never contradicts committed records
                }
                var kept = LastFrame.emptyLog
                if frame.start > .zero {
                    kept = LastFrame(try log.checkedFrame(holding: frame.start.previous.nextRecord))
                    guard kept.end == frame.start else {
                        reject(.frameSplitsLocalFrame)
                        return false
                    }
                }
                truncateLocally(after: kept)
            }
            precondition(frame.start == lastOffset, "frames do not follow the matched prefix")
            appendLocally(Array(frames[position...]))
            return true
        }
        return true
    }

    /// PLANTED BUG `noTermCheckOnAppend`: applies a stale leader's entries.
    mutating func acceptStaleAppend(_ request: AppendRequest, from leader: NodeID, log: some LogReader) throws(ReplicaFault) {
        guard request.prevLogOffset <= lastOffset,
              termIndex.term(at: request.prevLogOffset) == request.prevLogTerm,
              try mergeFrames(request.frames, log: log)
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
        if response.success && response.matchOffset > lastOffset {
            // A leader's log only grows in its term: no correct peer can match beyond it.
            reject(.matchBeyondLeaderLog)
            return
        }
        progress[index].recentlyActive = true
        if response.success {
            handleAcknowledgement(match: response.matchOffset, peerAt: index)
        } else {
            handleRejection(response, peerAt: index)
        }
    }

    mutating func handleAcknowledgement(match: LogEnd, peerAt index: Int) {
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
        sendTimeoutNowIfCaughtUp(peerAt: index)
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
            frames: [], commitOffset: commitOffset)), to: peers[index])
    }

    /// Sends what flow control allows to every peer marked during this step.
    mutating func sendWantedReplication(log: some LogReader) throws(ReplicaFault) {
        for index in peers.indices where replicationWanted[index] {
            replicationWanted[index] = false
            while try sendAppend(toPeerAt: index, log: log) {}
        }
    }

    /// Sends one AppendRequest to a peer if its window allows. Returns whether
    /// another one might be sent right away.
    mutating func sendAppend(toPeerAt index: Int, log: some LogReader) throws(ReplicaFault) -> Bool {
        var peer = progress[index]
        switch peer.mode {
        case .probe: guard peer.inflight.isEmpty else { return false }
        case .replicate: guard peer.inflight.count < configuration.inflightBatchesMax else { return false }
        }
        let budget = min(configuration.messageBytesMax, peer.inflight.bytesAvailable)
        let frames = peer.nextOffset <= lastOffset
            ? try readFrames(from: peer.nextOffset, bytesMax: budget, log: log) : []
        if peer.mode == .replicate && frames.isEmpty { return false }
        if frames.isEmpty && peer.nextOffset <= lastOffset {
            // A probe's budget is messageBytesMax >= frameBytesMax: the frame was written
            // under another configuration, and no leader with this one can ever send it.
            throw .frameExceedsMessageBytesMax(offset: peer.nextOffset.previous, messageBytesMax: budget)
        }
        // A hint can land inside a frame; frames go whole, so start at the frame holding it.
        if let first = frames.first { peer.nextOffset = first.start.next }
        let previous = peer.nextOffset.previous
        guard let previousTerm = termIndex.term(at: previous) else {
            preconditionFailure("peer next offset beyond the leader's log")
        }
        let request = AppendRequest(
            term: hardState.term, prevLogOffset: previous, prevLogTerm: previousTerm,
            frames: frames, commitOffset: commitOffset)
        precondition(request.framesAreContiguous, "frames read for a peer follow each other")
        if peer.inflight.isEmpty { peer.ticksSinceProgress = 0 }
        peer.inflight.add(lastOffset: request.lastOffset, bytes: request.accountedBytes)
        if peer.mode == .replicate { peer.nextOffset = request.lastOffset.next }
        progress[index] = peer
        send(.appendRequest(request), to: peers[index])
        return peer.mode == .replicate && peer.nextOffset <= lastOffset
    }

    /// Reads whole frames for a peer, from the one holding position `first` (the record at
    /// IrisLog offset `first - 1`): from the shell's log, plus frames appended during this
    /// step (not yet visible through the reader). Nothing is cached, so memory stays bounded
    /// however far behind a peer is. What the reader returns is checked: it is data from disk.
    func readFrames(from first: LogEnd, bytesMax: Int, log: some LogReader) throws(ReplicaFault) -> [SealedFrame] {
        let readerEnd = log.lastOffset
        precondition(
            (appendedThisStep.first?.start ?? lastOffset) == readerEnd,
            "the log reader does not reflect the actions of earlier steps")
        var frames: [SealedFrame] = []
        var bytes = 0
        if first <= readerEnd {
            do {
                frames = try log.frames(from: first.previous.nextRecord, bytesMax: bytesMax)
            } catch {
                throw .logUnreadable(offset: first.previous, error: error)
            }
            try checkRead(frames, holding: first.previous, end: readerEnd)
            bytes = frames.reduce(0) { $0 + $1.accountedBytes }
            if frames.last?.end != readerEnd { return frames }
        }
        for frame in appendedThisStep where frame.end >= first {
            guard bytes + frame.accountedBytes <= bytesMax else { break }
            bytes += frame.accountedBytes
            frames.append(frame)
        }
        return frames
    }

    /// Checks frames read from the local log: the first holds `offset`, each follows the one
    /// before, none passes the log's end, and their terms are those of the term index.
    func checkRead(_ frames: [SealedFrame], holding offset: LogEnd, end: LogEnd) throws(ReplicaFault) {
        guard let first = frames.first else { return }
        guard first.start <= offset, offset < first.end else {
            throw .logInconsistent(offset: offset, reason: "read [\(first.start), \(first.end)), which does not hold it")
        }
        var expected = first.start
        for frame in frames {
            guard frame.start == expected, frame.end <= end, termIndex.term(at: frame.end) == frame.term else {
                throw .logInconsistent(offset: frame.start, reason: "a frame read does not follow the log")
            }
            expected = frame.end
        }
    }
}
