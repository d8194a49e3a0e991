import IrisLog
import IrisReplication
import Testing

@Suite("Elections and PreVote")
struct ElectionTests {
    @Test func firstReplicaToTimeOutBecomesTheOnlyLeaderOfTermOne() throws {
        var cluster = try ClusterHarness(timeouts: [10, 14, 18])
        cluster.tickAll(12)
        #expect(cluster.leaders == [NodeID(1)])
        for replica in cluster.replicas {
            #expect(replica.core.hardState.term == Term(1))
            #expect(replica.core.leaderID == NodeID(1))
        }
    }

    @Test func preVoteKeepsAHealthyLeaderWhenAPartitionedReplicaRejoins() throws {
        var cluster = try ClusterHarness(timeouts: [10, 14, 18])
        cluster.tickAll(12)
        try #require(cluster.leaders == [NodeID(1)])
        cluster.isolated = [NodeID(3)]
        cluster.tickAll(200)  // n3 times out again and again while cut off
        // PreVote: n3 never adopted a higher term while it could not win.
        #expect(cluster.replicas[2].core.hardState.term == Term(1))
        cluster.isolated = []
        cluster.tickAll(50)
        #expect(cluster.leaders == [NodeID(1)])
        #expect(cluster.replicas.allSatisfy { $0.core.hardState.term == Term(1) })
        #expect(cluster.replicas[2].core.leaderID == NodeID(1))
    }

    @Test func preVoteRequestDoesNotChangeTheReceiversTermOrVote() throws {
        var follower = HandDrivenReplica(try makeConfiguration(2), hardState: HardState(term: Term(4)))
        let actions = follower.receive(.voteRequest(VoteRequest(
            isPreVote: true, term: Term(5), lastLogOffset: .zero, lastLogTerm: .zero)), from: NodeID(1))
        #expect(actions.hardStatePersists.isEmpty)
        #expect(follower.core.hardState == HardState(term: Term(4)))
        #expect(actions.voteResponses == [VoteResponse(isPreVote: true, term: Term(5), granted: true)])
    }

    @Test func followerInLeaderLeaseRejectsPreVote() throws {
        var follower = HandDrivenReplica(try makeConfiguration(2), hardState: HardState(term: Term(1)))
        follower.receive(.appendRequest(AppendRequest(
            term: Term(1), prevLogOffset: .zero, prevLogTerm: .zero, frames: [], commitOffset: .zero)), from: NodeID(1))
        let actions = follower.receive(.voteRequest(VoteRequest(
            isPreVote: true, term: Term(2), lastLogOffset: LogEnd(9), lastLogTerm: Term(1))), from: NodeID(3))
        #expect(actions.voteResponses == [VoteResponse(isPreVote: true, term: Term(1), granted: false)])
    }

    @Test func voteIsRefusedToACandidateWithAStalerLog() throws {
        var follower = HandDrivenReplica(
            try makeConfiguration(2), hardState: HardState(term: Term(2)), frames: [entry(1, 1), entry(2, 2)])
        let actions = follower.receive(.voteRequest(VoteRequest(
            isPreVote: false, term: Term(3), lastLogOffset: LogEnd(5), lastLogTerm: Term(1))), from: NodeID(3))
        let followUp = follower.persistEverything(actions)
        #expect((actions + followUp).voteResponses == [VoteResponse(isPreVote: false, term: Term(3), granted: false)])
        #expect(follower.core.hardState == HardState(term: Term(3), votedFor: nil))
    }

    @Test func grantedVoteIsSentOnlyAfterTheVoteIsDurable() throws {
        var follower = HandDrivenReplica(try makeConfiguration(2))
        let actions = follower.receive(.voteRequest(VoteRequest(
            isPreVote: false, term: Term(1), lastLogOffset: .zero, lastLogTerm: .zero)), from: NodeID(3))
        #expect(actions.hardStatePersists == [HardState(term: Term(1), votedFor: NodeID(3))])
        #expect(actions.sent.isEmpty, "the grant must wait for the durable vote")
        #expect(follower.core.heldMessageCount == 1)
        let released = follower.step(.hardStatePersisted(HardState(term: Term(1), votedFor: NodeID(3))))
        #expect(released.voteResponses == [VoteResponse(isPreVote: false, term: Term(1), granted: true)])
    }

    @Test func candidateSendsVoteRequestsOnlyAfterItsTermAndSelfVoteAreDurable() throws {
        var replica = HandDrivenReplica(try makeConfiguration(1))
        for _ in 0..<10 { replica.step(.tick) }
        try #require(replica.core.role == .preCandidate)
        let actions = replica.receive(.voteResponse(VoteResponse(isPreVote: true, term: Term(1), granted: true)), from: NodeID(2))
        #expect(replica.core.role == .candidate)
        #expect(actions.hardStatePersists == [HardState(term: Term(1), votedFor: NodeID(1))])
        #expect(actions.voteRequests.isEmpty)
        let released = replica.step(.hardStatePersisted(HardState(term: Term(1), votedFor: NodeID(1))))
        #expect(released.voteRequests.count == 2)
        #expect(released.voteRequests.allSatisfy { !$0.isPreVote && $0.term == Term(1) })
    }

    @Test func leaderCutOffFromAMajorityStepsDown() throws {
        var leader = HandDrivenReplica(try makeConfiguration(1))
        leader.becomeLeader(voters: [NodeID(2)])
        for _ in 0..<25 { leader.step(.tick) }  // no peer answers
        #expect(leader.core.role == .follower)
    }

    @Test func restartWithLogTermNewerThanHardStateAdoptsTheLogTermBeforeSending() throws {
        // The log fsync of a term-3 entry completed, the hard-state fsync of term 3 did not.
        var replica = HandDrivenReplica(try makeConfiguration(1), hardState: HardState(term: Term(1)), frames: [entry(3, 1)])
        #expect(replica.core.hardState.term == Term(3))
        var actions: [Action] = []
        for _ in 0..<10 { actions += replica.step(.tick) }
        #expect(actions.hardStatePersists.first == HardState(term: Term(3)))
        #expect(actions.voteRequests.isEmpty, "messages wait for the adopted term to be durable")
        let released = replica.step(.hardStatePersisted(HardState(term: Term(3))))
        #expect(released.voteRequests.allSatisfy { $0.term == Term(4) && $0.isPreVote })
        #expect(released.voteRequests.count == 2)
    }
}

extension ElectionTests {
    /// SPEC.md §9.6.1: a rejected PreVote response carries the voter's current term, and a
    /// newer one is adopted in any role, not only by a pre-candidate (review R-5).
    @Test func rejectedPreVoteResponseWithANewerTermIsAdoptedByALeader() throws {
        var leader = HandDrivenReplica(try makeConfiguration(1))
        leader.becomeLeader(voters: [NodeID(2)])
        try #require(leader.core.hardState.term == Term(1))
        leader.receive(.voteResponse(VoteResponse(isPreVote: true, term: Term(4), granted: false)), from: NodeID(3))
        #expect(leader.core.role == .follower)
        #expect(leader.core.hardState == HardState(term: Term(4), votedFor: nil))
    }
}
