import IrisLog
import IrisReplication
import Testing

/// SPEC.md §9.5.5: every message is checked before it can change anything; a bad one is
/// dropped and counted with a typed reason, never trapped on.
@Suite("Message validation")
struct MessageValidationTests {
    func heartbeat(term: UInt64) -> Message {
        .appendRequest(AppendRequest(term: Term(term), prevLogOffset: .zero, prevLogTerm: .zero, frames: [], commitOffset: .zero))
    }

    @Test func envelopesFromNonMembersOrForAnotherReplicaAreDroppedAndCounted() throws {
        var follower = HandDrivenReplica(try makeConfiguration(2), hardState: HardState(term: Term(1)))
        // A node of another cluster, this replica itself, and a message meant for n3.
        var actions = follower.receive(heartbeat(term: 7), from: NodeID(9))
        actions += follower.receive(heartbeat(term: 7), from: NodeID(2))
        actions += follower.step(.receive(Envelope(from: NodeID(1), to: NodeID(3), message: heartbeat(term: 7))))
        actions += follower.receive(.voteRequest(VoteRequest(
            isPreVote: false, term: Term(8), lastLogOffset: LogEnd(9), lastLogTerm: Term(7))), from: NodeID(9))
        #expect(actions.isEmpty)
        #expect(follower.core.hardState == HardState(term: Term(1)), "a non-member neither leads nor gets a vote")
        #expect(follower.core.leaderID == nil)
        #expect(follower.core.rejectedMessages == [.senderNotPeer: 3, .wrongRecipient: 1])
        // A member's identical heartbeat is obeyed.
        follower.receive(heartbeat(term: 7), from: NodeID(1))
        #expect(follower.core.leaderID == NodeID(1))
        #expect(follower.core.rejectedMessageCount == 4)
    }

    /// Review R-2's message: last term 5, frames of term 3 after it. Used to trap in TermIndex.
    @Test func appendWhoseFrameTermsDecreaseIsRejected() throws {
        var follower = HandDrivenReplica(try makeConfiguration(2), hardState: HardState(term: Term(5)), frames: [entry(5, 1)])
        let actions = follower.receive(.appendRequest(AppendRequest(
            term: Term(6), prevLogOffset: LogEnd(1), prevLogTerm: Term(5), frames: [entry(3, 2)], commitOffset: .zero)),
            from: NodeID(1))
        #expect(actions.isEmpty)
        #expect(follower.log.stored == [entry(5, 1)])
        #expect(follower.core.hardState.term == Term(5), "a rejected message changes nothing, not even the term")
        #expect(follower.core.rejectedMessages == [.frameTermsDecrease: 1])
    }

    @Test(arguments: [
        // (request term, prevLogOffset, prevLogTerm, frame terms, expected defect)
        (6, 1, 5, [7], MessageDefect.frameTermAboveRequestTerm),
        (6, 1, 5, [5, 4], .frameTermsDecrease),
        (6, 1, 7, [7], .prevLogTermInvalid),
        (6, 0, 2, [], .prevLogTermInvalid),
        (0, 0, 0, [], .termZero),
        (6, 2, 5, [5], .framesNotContiguous),
    ])
    func validatingInitializerNamesTheDefect(
        term: UInt64, prevLogOffset: UInt64, prevLogTerm: UInt64, frameTerms: [UInt64], expected: MessageDefect
    ) {
        let frames = frameTerms.enumerated().map { entry($0.element, 2 + UInt64($0.offset)) }
        #expect(throws: expected) {
            try AppendRequest(validating: Term(term), prevLogOffset: LogEnd(prevLogOffset), prevLogTerm: Term(prevLogTerm),
                              frames: frames, commitOffset: .zero, frameBytesMax: 4_096, messageBytesMax: 16_384)
        }
    }

    @Test func validatingInitializerAcceptsAWellFormedRequest() throws {
        let request = try AppendRequest(
            validating: Term(6), prevLogOffset: LogEnd(1), prevLogTerm: Term(5), frames: [entry(5, 2), entry(6, 3)],
            commitOffset: LogEnd(1), frameBytesMax: 4_096, messageBytesMax: 16_384)
        #expect(request.lastOffset == LogEnd(3))
    }

    @Test func followerRefusesFramesAboveItsOwnLimits() throws {
        var follower = HandDrivenReplica(
            try makeConfiguration(2, messageBytesMax: 300, frameBytesMax: 200), hardState: HardState(term: Term(1)))
        let large = entry(1, 1, Array(repeating: 1, count: 300))
        follower.receive(.appendRequest(AppendRequest(
            term: Term(1), prevLogOffset: .zero, prevLogTerm: .zero, frames: [large], commitOffset: .zero)), from: NodeID(1))
        let small = (1...4).map { entry(1, UInt64($0), Array(repeating: 2, count: 60)) }
        follower.receive(.appendRequest(AppendRequest(
            term: Term(1), prevLogOffset: .zero, prevLogTerm: .zero, frames: small, commitOffset: .zero)), from: NodeID(1))
        #expect(follower.log.stored.isEmpty)
        #expect(follower.core.rejectedMessages == [.frameTooLarge: 1, .messageTooLarge: 1])
    }

    /// Used to trap on "two leaders in one term".
    @Test func leaderRejectsAnotherLeaderOfItsOwnTerm() throws {
        var leader = HandDrivenReplica(try makeConfiguration(1))
        leader.becomeLeader(voters: [NodeID(2)])
        let actions = leader.receive(heartbeat(term: 1), from: NodeID(3))
        #expect(actions.isEmpty)
        #expect(leader.core.role == .leader)
        #expect(leader.core.rejectedMessages == [.secondLeaderInTerm: 1])
    }

    @Test func acknowledgementBeyondTheLeadersLogIsRejected() throws {
        var leader = HandDrivenReplica(try makeConfiguration(1))
        leader.becomeLeader(voters: [NodeID(2)])
        leader.step(.logPersisted(through: LogEnd(1), term: Term(1)))
        let actions = leader.receive(.appendResponse(AppendResponse(
            term: Term(1), success: true, matchOffset: LogEnd(1_000))), from: NodeID(2))
        #expect(actions.commits.isEmpty)
        #expect(leader.core.progress(of: NodeID(2))?.matchOffset == .zero)
        let hint = leader.receive(.appendResponse(AppendResponse(
            term: Term(1), success: false, matchOffset: .zero, rejectedPrevLogOffset: LogEnd(1), hintOffset: LogEnd(5))),
            from: NodeID(2))
        #expect(hint.isEmpty)
        #expect(leader.core.rejectedMessages == [.matchBeyondLeaderLog: 1, .hintAfterRejectedOffset: 1])
    }

    @Test func voteRequestWithALastLogTermAboveItsTermIsRejected() throws {
        var follower = HandDrivenReplica(try makeConfiguration(2))
        let actions = follower.receive(.voteRequest(VoteRequest(
            isPreVote: false, term: Term(2), lastLogOffset: LogEnd(4), lastLogTerm: Term(3))), from: NodeID(1))
        #expect(actions.isEmpty)
        #expect(follower.core.hardState == HardState())
        #expect(follower.core.rejectedMessages == [.lastLogInvalid: 1])
    }

    /// A peer's frames of a term with other boundaries than the local ones would make the
    /// follower cut inside a frame, which the log refuses (`truncationInsideBatch`).
    @Test func appendThatWouldCutInsideALocalFrameIsRejected() throws {
        let held = frame(1, base: 0, count: 3)
        var follower = HandDrivenReplica(try makeConfiguration(2), hardState: HardState(term: Term(1)), frames: [held])
        let actions = follower.receive(.appendRequest(AppendRequest(
            term: Term(2), prevLogOffset: LogEnd(1), prevLogTerm: Term(1),
            frames: [frame(2, base: 1, count: 1)], commitOffset: .zero)), from: NodeID(1))
        #expect(!actions.contains { if case .truncateLog = $0 { true } else { false } })
        #expect(follower.log.stored == [held])
        #expect(follower.core.rejectedMessages == [.frameSplitsLocalFrame: 1])
    }
}
