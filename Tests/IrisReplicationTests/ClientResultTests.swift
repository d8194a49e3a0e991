import IrisReplication
import Testing

@Suite("Typed client results")
struct ClientResultTests {
    @Test func followerAnswersNotLeaderWithTheKnownLeaderAsHint() throws {
        var follower = HandDrivenReplica(try makeConfiguration(2), hardState: HardState(term: Term(1)))
        follower.receive(.appendRequest(AppendRequest(
            term: Term(1), prevLogOffset: .zero, prevLogTerm: .zero, entries: [], commitOffset: .zero)), from: NodeID(1))
        let actions = follower.step(.clientAppend(ClientRequestID(1), payload: [1]))
        #expect(actions.clientResults[ClientRequestID(1)] == .notLeader(hint: NodeID(1)))
        #expect(!actions.contains { if case .appendToLog = $0 { true } else { false } })
    }

    @Test func leaderAnswersOverloadedWhenItsUncommittedQueueIsFull() throws {
        var leader = HandDrivenReplica(try makeConfiguration(1, uncommittedEntriesMax: 4))
        leader.becomeLeader(voters: [NodeID(2)])
        var results: [ClientRequestID: ClientResult] = [:]
        for index in 1...5 {
            results.merge(leader.step(.clientAppend(ClientRequestID(UInt64(index)), payload: [1])).clientResults) { $1 }
        }
        // The leader's own term entry plus 3 appends fill the 4 uncommitted slots.
        #expect(results[ClientRequestID(4)] == .overloaded)
        #expect(results[ClientRequestID(5)] == .overloaded)
        #expect(results[ClientRequestID(1)] == nil)
        #expect(leader.core.lastOffset == Offset(4))
    }

    @Test func oversizedPayloadIsRejectedWithoutAppending() throws {
        var leader = HandDrivenReplica(try makeConfiguration(1, entryPayloadBytesMax: 8))
        leader.becomeLeader(voters: [NodeID(2)])
        let actions = leader.step(.clientAppend(ClientRequestID(1), payload: Array(repeating: 0, count: 9)))
        #expect(actions.clientResults[ClientRequestID(1)] == .payloadTooLarge)
        #expect(leader.core.lastOffset == Offset(1))
    }

    @Test func pendingAppendsBecomeOutcomeUnknownNeverFailedWhenLeadershipIsLost() throws {
        var leader = HandDrivenReplica(try makeConfiguration(1))
        leader.becomeLeader(voters: [NodeID(2)])
        leader.step(.clientAppend(ClientRequestID(1), payload: [1]))
        leader.step(.clientAppend(ClientRequestID(2), payload: [2]))
        let actions = leader.receive(.appendResponse(AppendResponse(term: Term(2), success: false, matchOffset: .zero)), from: NodeID(3))
        #expect(leader.core.role == .follower)
        #expect(actions.clientResults == [ClientRequestID(1): .outcomeUnknown, ClientRequestID(2): .outcomeUnknown])
    }

    @Test func committedResultCarriesTheOffsetOfTheAppend() throws {
        var leader = HandDrivenReplica(try makeConfiguration(1))
        leader.becomeLeader(voters: [NodeID(2)])
        leader.step(.clientAppend(ClientRequestID(9), payload: [9]))
        leader.step(.logPersisted(through: Offset(2), term: Term(1)))
        let actions = leader.receive(.appendResponse(AppendResponse(term: Term(1), success: true, matchOffset: Offset(2))), from: NodeID(3))
        #expect(actions.clientResults == [ClientRequestID(9): .committed(Offset(2))])
    }
}
