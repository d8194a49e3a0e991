import IrisLog
import Testing

@testable import IrisReplication

@Suite("Leadership transfer (SPEC §9.13)")
struct LeadershipTransferTests {
    @Test func aCaughtUpPeerBecomesLeaderOfTheNextTermAndKeepsTheLog() throws {
        var cluster = try ClusterHarness(timeouts: [10, 14, 18])
        cluster.tickAll(12)
        try #require(cluster.leaders == [NodeID(1)])
        cluster.step(0, clientAppend(ClientRequestID(1), [7]))
        cluster.deliverAll()
        cluster.tickAll(3)
        let committed = cluster.replicas[0].core.commitOffset
        cluster.step(0, .transferLeadership(to: NodeID(3)))
        cluster.deliverAll()
        #expect(cluster.leaders == [NodeID(3)])
        #expect(cluster.replicas.allSatisfy { $0.core.hardState.term == Term(2) })
        cluster.tickAll(5)
        #expect(cluster.replicas[2].core.commitOffset > committed)
        #expect(cluster.replicas.allSatisfy { $0.core.leaderID == NodeID(3) })
    }

    @Test func aLaggingPeerGetsLeadershipOnceItCatchesUpAndAppendsWaitMeanwhile() throws {
        var cluster = try ClusterHarness(timeouts: [10, 14, 18])
        cluster.tickAll(12)
        try #require(cluster.leaders == [NodeID(1)])
        cluster.isolated = [NodeID(2)]
        for id in 1...5 {
            cluster.step(0, clientAppend(ClientRequestID(UInt64(id)), [UInt8(id)]))
            cluster.deliverAll()
        }
        cluster.step(0, .transferLeadership(to: NodeID(2)))
        cluster.deliverAll()
        #expect(cluster.leaders == [NodeID(1)], "n2 is behind: no TimeoutNow yet")
        // While the transfer is pending, appends are turned away towards the target.
        var replica = cluster.replicas[0]
        let refused = replica.step(clientAppend(ClientRequestID(9), [9]))
        #expect(refused.contains(.clientResult(ClientRequestID(9), .notLeader(hint: NodeID(2)))))
        cluster.isolated = []
        // Within the transfer's time limit (one minimum election timeout), n2 catches up and wins.
        for _ in 1..<cluster.replicas[0].core.configuration.electionTimeoutTicksMin where cluster.leaders != [NodeID(2)] {
            cluster.tickAll()
        }
        #expect(cluster.leaders == [NodeID(2)])
        #expect(cluster.replicas[1].core.hardState.term == Term(2))
    }

    @Test func anUnreachableTargetIsAbandonedAfterAnElectionTimeout() throws {
        var cluster = try ClusterHarness(timeouts: [10, 14, 18])
        cluster.tickAll(12)
        try #require(cluster.leaders == [NodeID(1)])
        cluster.isolated = [NodeID(3)]
        cluster.step(0, clientAppend(ClientRequestID(1), [1]))
        cluster.deliverAll()
        cluster.step(0, .transferLeadership(to: NodeID(3)))
        #expect(cluster.replicas[0].core.transferTarget == NodeID(3))
        cluster.tickAll(cluster.replicas[0].core.configuration.electionTimeoutTicksMin)
        #expect(cluster.replicas[0].core.transferTarget == nil)
        #expect(cluster.leaders == [NodeID(1)])
        var replica = cluster.replicas[0]
        let actions = replica.step(clientAppend(ClientRequestID(2), [2]))
        #expect(!actions.contains(.clientResult(ClientRequestID(2), .notLeader(hint: NodeID(3)))))
    }

    @Test func timeoutNowFromAnyoneButTheCurrentLeaderIsIgnored() throws {
        var follower = HandDrivenReplica(try makeConfiguration(2), hardState: HardState(term: Term(3)))
        follower.receive(.appendRequest(AppendRequest(
            term: Term(3), prevLogOffset: .zero, prevLogTerm: .zero, frames: [], commitOffset: .zero)), from: NodeID(1))
        follower.receive(.timeoutNow(TimeoutNow(term: Term(3))), from: NodeID(3))
        #expect(follower.core.role == .follower)
        follower.receive(.timeoutNow(TimeoutNow(term: Term(2))), from: NodeID(1))
        #expect(follower.core.role == .follower)
        follower.receive(.timeoutNow(TimeoutNow(term: Term(3))), from: NodeID(1))
        #expect(follower.core.role == .candidate)
        #expect(follower.core.hardState.term == Term(4))
    }
}
