import IrisLog

/// Durability ordering: hard state before dependent messages, log writes, acks.
extension ReplicaCore {
    /// The hard state as it is written to disk (the planted bug drops the vote).
    var hardStateToPersist: HardState {
        var persisted = hardState
        if configuration.plantedBugs.contains(.voteNotPersisted) { persisted.votedFor = nil }
        return persisted
    }

    /// Whether the current term and vote are confirmed durable.
    var isHardStateDurable: Bool { durableHardState == hardStateToPersist }

    /// Queues a message, withholding it while the hard state is not durable:
    /// a message carrying term T or a vote MUST NOT leave before T and the vote are
    /// durable, or a restart could make this replica vote twice in one term.
    mutating func send(_ message: Message, to peer: NodeID) {
        let envelope = Envelope(from: configuration.nodeID, to: peer, message: message)
        if isHardStateDurable {
            actions.append(.send(envelope))
        } else if heldMessages.count < configuration.heldMessagesMax {
            heldMessages.append(envelope)
        }
        // else: dropped; every message may be lost and the protocol retries.
    }

    /// Called at the end of a step: asks the shell to persist the hard state if it
    /// changed during the step. Placed first so the shell starts the fsync before
    /// anything else; the changes of one step are coalesced into one write.
    mutating func requestHardStatePersistIfChanged() {
        let persisted = hardStateToPersist
        guard persisted != requestedHardState else { return }
        requestedHardState = persisted
        actions.insert(.persistHardState(persisted), at: 0)
    }

    mutating func hardStatePersisted(_ persisted: HardState) {
        // Persists complete in request order, so this is never older than the durable one.
        guard persisted.term >= durableHardState.term else { return }
        durableHardState = persisted
        if isHardStateDurable && !heldMessages.isEmpty {
            for envelope in heldMessages { actions.append(.send(envelope)) }
            heldMessages.removeAll(keepingCapacity: true)
        }
    }

    mutating func logPersisted(through offset: LogEnd, term: Term, log: some LogReader) throws(ReplicaFault) {
        // A completion for a write that a later truncation replaced has a different
        // term at that offset (log matching) and is ignored.
        if offset > durableOffset, termIndex.term(at: offset) == term {
            // SPEC.md §9.3: the shell reports a frame end (one read per completed fsync).
            let last = try log.checkedFrame(holding: offset.previous.nextRecord)
            precondition(last.end == offset, "logPersisted(through: \(offset)) is not a frame end")
            durableOffset = offset
        }
        switch role {
        case .leader: advanceCommit()
        case .follower: sendOwedAcknowledgement()
        case .preCandidate, .candidate: break
        }
    }

    /// Appends frames to the local log (written now, durable on `logPersisted`).
    mutating func appendLocally(_ frames: [SealedFrame]) {
        guard !frames.isEmpty else { return }
        for frame in frames { termIndex.append(term: frame.term, from: frame.start, through: frame.end) }
        appendedThisStep.append(contentsOf: frames)
        lastFrame = LastFrame(frames.last!)
        actions.append(.appendToLog(frames))
    }

    /// Removes the local records after the prefix ending at `cut.end` (a frame boundary);
    /// `cut` describes the frame ending there, which becomes the last one.
    mutating func truncateLocally(after cut: LastFrame) {
        let offset = cut.end
        precondition(role != .leader, "a leader never truncates its own log")
        guard offset < lastOffset else { return }
        if offset < commitOffset {
            // Only reachable with a planted bug; a correct leader never conflicts with committed entries.
            precondition(!configuration.plantedBugs.isEmpty, "truncating committed entries")
            commitOffset = offset
        }
        termIndex.truncate(after: offset)
        lastFrame = cut
        durableOffset = min(durableOffset, offset)
        verifiedThroughOffset = min(verifiedThroughOffset, offset)
        actions.append(.truncateLog(to: offset))
    }

    /// Advances the commit offset and answers committed client appends.
    mutating func commit(through offset: LogEnd) {
        precondition(offset <= lastOffset, "committing beyond the local log")
        guard offset > commitOffset else { return }
        commitOffset = offset
        actions.append(.commitAdvanced(to: offset))
        guard role == .leader else { return }
        var answered = 0
        for proposal in pendingProposals {
            guard proposal.end <= offset else { break }
            actions.append(.clientResult(proposal.id, .committed(proposal.first)))
            answered += 1
        }
        if answered > 0 { pendingProposals.removeFirst(answered) }
    }
}
