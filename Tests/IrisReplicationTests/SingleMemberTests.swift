import IrisLog
import IrisReplication
import Testing

/// A group of one replica (SPEC.md §9, §9.11): it elects itself at its first election
/// timeout and commits through its own `logPersisted`, with no one to ask.
@Suite("Single-member group")
struct SingleMemberTests {
    static let electionTimeoutTicks = 10

    func configuration(members count: Int) throws(ConfigurationError) -> ReplicaConfiguration {
        try ReplicaConfiguration(nodeID: NodeID(1), members: (1...count).map { NodeID(UInt64($0)) })
    }

    /// A single-member replica that has ticked until it leads; the ticks it took.
    func leader() throws -> (replica: HandDrivenReplica, ticks: Int, actions: [Action]) {
        var replica = HandDrivenReplica(try configuration(members: 1), timeoutTicks: Self.electionTimeoutTicks)
        var ticks = 0
        var actions: [Action] = []
        while replica.core.role != .leader && ticks < 10 * Self.electionTimeoutTicks {
            actions = replica.step(.tick)
            ticks += 1
        }
        return (replica, ticks, actions)
    }

    @Test func electsItselfAtItsFirstElectionTimeoutWithoutSendingAnything() throws {
        let (replica, ticks, actions) = try leader()
        #expect(replica.core.role == .leader)
        #expect(ticks == Self.electionTimeoutTicks)
        #expect(replica.core.leaderID == NodeID(1))
        #expect(actions.hardStatePersists == [HardState(term: Term(1), votedFor: NodeID(1))])
        #expect(actions.sent.isEmpty)
        // The term-start marker (SPEC.md §9.2), so the leader can commit in its term.
        #expect(replica.log.stored.map(\.term) == [Term(1)])
    }

    @Test func commitsAClientAppendOnlyThroughItsOwnLogPersisted() throws {
        var (replica, _, actions) = try leader()
        for state in actions.hardStatePersists { replica.step(.hardStatePersisted(state)) }
        let append = replica.step(clientAppend(ClientRequestID(5), [7, 7]))
        #expect(replica.log.lastOffset == LogEnd(2))
        #expect(append.commits.isEmpty && append.clientResults.isEmpty, "written is not durable")

        let marker = replica.step(.logPersisted(through: LogEnd(1), term: Term(1)))
        #expect(marker.commits == [LogEnd(1)])
        #expect(marker.clientResults.isEmpty)

        let both = replica.step(.logPersisted(through: LogEnd(2), term: Term(1)))
        #expect(both.commits == [LogEnd(2)])
        #expect(both.clientResults == [ClientRequestID(5): .committed(Offset(1))])
        #expect(replica.core.commitOffset == LogEnd(2))
    }

    /// Check quorum (SPEC.md §9.7 rule 7) counts the leader itself: alone, it is a majority.
    @Test func staysLeaderAcrossQuorumChecks() throws {
        var (replica, _, _) = try leader()
        let term = replica.core.hardState.term
        for _ in 0..<(10 * Self.electionTimeoutTicks) { replica.step(.tick) }
        #expect(replica.core.role == .leader)
        #expect(replica.core.hardState.term == term)
    }

    @Test(arguments: [1, 3, 5])
    func groupsOfOneThreeAndFiveAreAccepted(count: Int) throws {
        #expect(try configuration(members: count).members.count == count)
    }

    @Test(arguments: [2, 4])
    func groupsOfTwoAndFourAreRefused(count: Int) {
        #expect(throws: ConfigurationError.unsupportedMemberCount(count)) { try configuration(members: count) }
    }
}
