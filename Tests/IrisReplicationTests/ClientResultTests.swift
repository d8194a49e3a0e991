import IrisLog
import IrisReplication
import Testing

@Suite("Typed client results")
struct ClientResultTests {
    @Test func followerAnswersNotLeaderWithTheKnownLeaderAsHint() throws {
        var follower = HandDrivenReplica(try makeConfiguration(2), hardState: HardState(term: Term(1)))
        follower.receive(.appendRequest(AppendRequest(
            term: Term(1), prevLogOffset: .zero, prevLogTerm: .zero, frames: [], commitOffset: .zero)), from: NodeID(1))
        let actions = follower.step(clientAppend(ClientRequestID(1), [1]))
        #expect(actions.clientResults[ClientRequestID(1)] == .notLeader(hint: NodeID(1)))
        #expect(!actions.contains { if case .appendToLog = $0 { true } else { false } })
    }

    @Test func leaderAnswersOverloadedWhenItsUncommittedQueueIsFull() throws {
        var leader = HandDrivenReplica(try makeConfiguration(1, uncommittedAppendsMax: 4))
        leader.becomeLeader(voters: [NodeID(2)])
        var results: [ClientRequestID: ClientResult] = [:]
        for index in 1...5 {
            results.merge(leader.step(clientAppend(ClientRequestID(UInt64(index)), [1])).clientResults) { $1 }
        }
        // 4 appends fill the 4 uncommitted slots; the fifth is refused and not appended.
        #expect(results[ClientRequestID(4)] == nil)
        #expect(results[ClientRequestID(5)] == .overloaded)
        #expect(results[ClientRequestID(1)] == nil)
        #expect(leader.core.lastOffset == LogEnd(5))  // the term-start marker and 4 appends
    }

    @Test func oversizedPayloadIsRejectedWithoutAppending() throws {
        var leader = HandDrivenReplica(try makeConfiguration(1, frameBytesMax: 128))
        leader.becomeLeader(voters: [NodeID(2)])
        let fits = leader.step(clientAppend(ClientRequestID(2), Array(repeating: 0, count: 64)))
        #expect(fits.clientResults[ClientRequestID(2)] == nil)
        #expect(leader.core.lastOffset == LogEnd(2))
        let actions = leader.step(clientAppend(ClientRequestID(1), Array(repeating: 0, count: 100)))
        #expect(actions.clientResults[ClientRequestID(1)] == .payloadTooLarge)
        #expect(leader.core.lastOffset == LogEnd(2))
    }

    @Test func pendingAppendsBecomeOutcomeUnknownNeverFailedWhenLeadershipIsLost() throws {
        var leader = HandDrivenReplica(try makeConfiguration(1))
        leader.becomeLeader(voters: [NodeID(2)])
        leader.step(clientAppend(ClientRequestID(1), [1]))
        leader.step(clientAppend(ClientRequestID(2), [2]))
        let actions = leader.receive(.appendResponse(AppendResponse(term: Term(2), success: false, matchOffset: .zero)), from: NodeID(3))
        #expect(leader.core.role == .follower)
        #expect(actions.clientResults == [ClientRequestID(1): .outcomeUnknown, ClientRequestID(2): .outcomeUnknown])
    }

    @Test func committedResultCarriesTheOffsetOfTheAppend() throws {
        var leader = HandDrivenReplica(try makeConfiguration(1))
        leader.becomeLeader(voters: [NodeID(2)])
        leader.step(clientAppend(ClientRequestID(9), [9]))
        leader.step(.logPersisted(through: LogEnd(2), term: Term(1)))
        let actions = leader.receive(.appendResponse(AppendResponse(term: Term(1), success: true, matchOffset: LogEnd(2))), from: NodeID(3))
        // Committed through the prefix ending at 2; the append's record is at IrisLog offset 1.
        #expect(actions.commits == [LogEnd(2)])
        #expect(actions.clientResults == [ClientRequestID(9): .committed(Offset(1))])
    }
}
