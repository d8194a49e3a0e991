import IrisLog
import IrisReplication
import Testing

@Suite("Log replication and commit")
struct ReplicationTests {
    @Test func followerTruncatesADivergentUncommittedSuffix() throws {
        var follower = HandDrivenReplica(
            try makeConfiguration(2), hardState: HardState(term: Term(1)),
            frames: [entry(1, 1, [1]), entry(1, 2, [2]), entry(1, 3, [3])])
        let replacement = entry(2, 2, [9])
        let actions = follower.receive(.appendRequest(AppendRequest(
            term: Term(2), prevLogOffset: LogEnd(1), prevLogTerm: Term(1),
            frames: [replacement], commitOffset: .zero)), from: NodeID(1))
        #expect(actions.contains(.truncateLog(to: LogEnd(1))))
        #expect(actions.contains(.appendToLog([replacement])))
        #expect(follower.log.stored == [entry(1, 1, [1]), replacement])
        #expect(follower.core.lastOffset == LogEnd(2))
        #expect(follower.core.termIndex.term(at: LogEnd(2)) == Term(2))
    }

    @Test func followerRejectsAMismatchedPrefixWithAHintThatSkipsTheConflictingTerm() throws {
        var follower = HandDrivenReplica(
            try makeConfiguration(2), hardState: HardState(term: Term(3)),
            frames: [entry(1, 1), entry(3, 2), entry(3, 3), entry(3, 4)])
        var actions = follower.receive(.appendRequest(AppendRequest(
            term: Term(4), prevLogOffset: LogEnd(4), prevLogTerm: Term(2), frames: [], commitOffset: .zero)),
            from: NodeID(1))
        actions += follower.persistEverything(actions)  // the new term must be durable first
        let response = try #require(actions.appendResponses.first)
        #expect(!response.success)
        #expect(response.rejectedPrevLogOffset == LogEnd(4))
        #expect(response.hintOffset == LogEnd(1))
        #expect(response.hintTerm == Term(1))
    }

    @Test func followerAcknowledgesEntriesOnlyAfterTheyAreFsynced() throws {
        var follower = HandDrivenReplica(try makeConfiguration(2), hardState: HardState(term: Term(1)))
        let actions = follower.receive(.appendRequest(AppendRequest(
            term: Term(1), prevLogOffset: .zero, prevLogTerm: .zero,
            frames: [entry(1, 1), entry(1, 2)], commitOffset: .zero)), from: NodeID(1))
        #expect(actions.appendResponses.isEmpty)
        let partial = follower.step(.logPersisted(through: LogEnd(1), term: Term(1)))
        #expect(partial.appendResponses.map(\.matchOffset) == [LogEnd(1)])
        let rest = follower.step(.logPersisted(through: LogEnd(2), term: Term(1)))
        #expect(rest.appendResponses.map(\.matchOffset) == [LogEnd(2)])
        #expect(rest.appendResponses.allSatisfy { $0.success })
    }

    @Test func staleLeaderAppendIsRejectedWithTheNewerTerm() throws {
        var follower = HandDrivenReplica(try makeConfiguration(2), hardState: HardState(term: Term(5)), frames: [entry(5, 1)])
        let actions = follower.receive(.appendRequest(AppendRequest(
            term: Term(4), prevLogOffset: .zero, prevLogTerm: .zero, frames: [entry(4, 1)], commitOffset: .zero)),
            from: NodeID(1))
        #expect(actions.appendResponses == [AppendResponse(
            term: Term(5), success: false, matchOffset: .zero, rejectedPrevLogOffset: .zero)])
        #expect(follower.log.stored == [entry(5, 1)])
    }

    /// Raft Figure 8: a leader must not commit an earlier-term entry by counting replicas.
    @Test func leaderCommitsOnlyEntriesOfItsOwnTermByCountingReplicas() throws {
        var leader = HandDrivenReplica(
            try makeConfiguration(1), hardState: HardState(term: Term(2)), frames: [entry(1, 1), entry(2, 2)])
        leader.becomeLeader(voters: [NodeID(2)])
        try #require(leader.core.hardState.term == Term(3))
        // The new term's first frame: the term-start marker record, naming the leader.
        let marker = try #require(leader.log.stored.last)
        #expect(marker.term == Term(3) && marker.start == LogEnd(2) && marker.end == LogEnd(3))
        let record = try #require(try marker.records().first)
        #expect(record.headers.map(\.name) == [ReplicaCore.termStartHeaderName])
        #expect(record.value == withUnsafeBytes(of: UInt64(1).littleEndian) { Array($0) })
        #expect(marker.previousCRC == leader.log.stored[1].crc, "sealed onto the leader's chain")
        leader.step(.logPersisted(through: LogEnd(3), term: Term(3)))
        // A majority (n1, n2) now holds the term-2 entry at offset 2...
        let early = leader.receive(.appendResponse(AppendResponse(term: Term(3), success: true, matchOffset: LogEnd(2))), from: NodeID(2))
        #expect(early.commits.isEmpty)
        #expect(leader.core.commitOffset == .zero)
        // ...but it commits only once an entry of term 3 is on a majority.
        let later = leader.receive(.appendResponse(AppendResponse(term: Term(3), success: true, matchOffset: LogEnd(3))), from: NodeID(2))
        #expect(later.commits == [LogEnd(3)])
    }

    @Test func leaderCountsItselfOnlyAfterItsOwnFsyncCompletes() throws {
        var leader = HandDrivenReplica(try makeConfiguration(1))
        leader.becomeLeader(voters: [NodeID(2)])
        // Both followers acknowledge the leader's first entry: they are now pipelining.
        for peer in [NodeID(2), NodeID(3)] {
            leader.receive(.appendResponse(AppendResponse(term: Term(1), success: true, matchOffset: LogEnd(1))), from: peer)
        }
        try #require(leader.core.commitOffset == LogEnd(1))
        let proposal = leader.step(clientAppend(ClientRequestID(7), [1, 2, 3]))
        #expect(proposal.appendRequests.contains { $0.request.frames.contains { $0.values == [[1, 2, 3]] } },
                "replication starts in parallel with the local write")
        let acknowledged = leader.receive(.appendResponse(AppendResponse(term: Term(1), success: true, matchOffset: LogEnd(2))), from: NodeID(2))
        #expect(acknowledged.commits.isEmpty, "one follower alone is not a majority of 3")
        let persisted = leader.step(.logPersisted(through: LogEnd(2), term: Term(1)))
        #expect(persisted.commits == [LogEnd(2)])
        #expect(persisted.clientResults[ClientRequestID(7)] == .committed(Offset(1)))
    }

    @Test func twoDurableFollowersCommitEvenBeforeTheLeadersFsync() throws {
        var leader = HandDrivenReplica(try makeConfiguration(1))
        leader.becomeLeader(voters: [NodeID(2)])
        leader.step(clientAppend(ClientRequestID(1), [1]))
        leader.receive(.appendResponse(AppendResponse(term: Term(1), success: true, matchOffset: LogEnd(2))), from: NodeID(2))
        let actions = leader.receive(.appendResponse(AppendResponse(term: Term(1), success: true, matchOffset: LogEnd(2))), from: NodeID(3))
        #expect(actions.commits == [LogEnd(2)])
    }

    @Test func followerLearnsCommitOnlyWithinTheVerifiedPrefix() throws {
        var follower = HandDrivenReplica(try makeConfiguration(2), hardState: HardState(term: Term(1)),
                                         frames: [entry(1, 1), entry(1, 2), entry(1, 3)])
        let actions = follower.receive(.appendRequest(AppendRequest(
            term: Term(2), prevLogOffset: LogEnd(1), prevLogTerm: Term(1), frames: [], commitOffset: LogEnd(3))),
            from: NodeID(1))
        #expect(actions.commits == [LogEnd(1)])
        #expect(follower.core.commitOffset == LogEnd(1))
    }
}
