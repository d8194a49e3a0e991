import IrisLog
import IrisReplication
import Testing

@Suite("Flow control and catch-up")
struct FlowControlTests {
    /// A leader in term 1 whose peers have acknowledged the initial entry, so both are pipelining.
    func pipeliningLeader(batches: Int, bytes: Int, messageBytes: Int) throws -> HandDrivenReplica {
        var leader = HandDrivenReplica(try makeConfiguration(
            1, inflightBatchesMax: batches, inflightBytesMax: bytes, messageBytesMax: messageBytes,
            frameBytesMax: 256, uncommittedAppendsMax: 1_000))
        leader.becomeLeader(voters: [NodeID(2)])
        leader.step(.logPersisted(through: LogEnd(1), term: Term(1)))
        for peer in [NodeID(2), NodeID(3)] {
            leader.receive(.appendResponse(AppendResponse(term: Term(1), success: true, matchOffset: LogEnd(1))), from: peer)
        }
        return leader
    }

    @Test func inflightBatchesAndBytesToASilentPeerNeverExceedTheirMaximums() throws {
        let batchesMax = 3
        let bytesMax = 600
        var leader = try pipeliningLeader(batches: batchesMax, bytes: bytesMax, messageBytes: 300)
        try #require(leader.core.progress(of: NodeID(3))?.mode == .replicate)
        var sentToSilentPeer: [AppendRequest] = []
        for index in 0..<50 {
            let actions = leader.step(clientAppend(ClientRequestID(UInt64(index)), Array(repeating: 7, count: 100)))
            sentToSilentPeer += actions.appendRequests.filter { $0.to == NodeID(3) && !$0.request.frames.isEmpty }.map(\.request)
            let progress = try #require(leader.core.progress(of: NodeID(3)))
            #expect(progress.inflight.count <= batchesMax)
            #expect(progress.inflight.bytes <= bytesMax)
        }
        #expect(sentToSilentPeer.count == batchesMax, "the window filled up and then stopped")
        #expect(sentToSilentPeer.reduce(0) { $0 + $1.accountedBytes } <= bytesMax)
        #expect(sentToSilentPeer.allSatisfy { $0.accountedBytes <= 300 })
    }

    @Test func slowPeerDoesNotDelayCommitWhenAQuorumIsHealthy() throws {
        var leader = try pipeliningLeader(batches: 2, bytes: 1_000, messageBytes: 500)
        var results: [ClientRequestID: ClientResult] = [:]
        for index in 0..<40 {
            var actions = leader.step(clientAppend(ClientRequestID(UInt64(index)), [UInt8(index)]))
            actions += leader.step(.logPersisted(through: leader.core.lastOffset, term: Term(1)))
            // n2 answers everything promptly; n3 never answers.
            for request in actions.appendRequests where request.to == NodeID(2) && !request.request.frames.isEmpty {
                actions += leader.receive(.appendResponse(AppendResponse(
                    term: Term(1), success: true, matchOffset: request.request.lastOffset)), from: NodeID(2))
            }
            results.merge(actions.clientResults) { $1 }
        }
        #expect(leader.core.commitOffset == leader.core.lastOffset)
        #expect(results.count == 40)
        #expect(results.values.allSatisfy { if case .committed = $0 { true } else { false } })
        let slow = try #require(leader.core.progress(of: NodeID(3)))
        #expect(slow.inflight.count <= 2)
    }

    @Test func peerThatRejectsFallsBackToProbeAndCatchesUpFromTheLog() throws {
        var leader = try pipeliningLeader(batches: 4, bytes: 10_000, messageBytes: 256)
        for index in 0..<10 {
            leader.step(clientAppend(ClientRequestID(UInt64(index)), Array(repeating: 1, count: 50)))
        }
        // n3 lost everything after offset 1 and rejects the pipelined batch.
        let actions = leader.receive(.appendResponse(AppendResponse(
            term: Term(1), success: false, matchOffset: .zero,
            rejectedPrevLogOffset: LogEnd(5), hintOffset: LogEnd(1), hintTerm: Term(1))), from: NodeID(3))
        let progress = try #require(leader.core.progress(of: NodeID(3)))
        #expect(progress.mode == .probe)
        let probes = actions.appendRequests.filter { $0.to == NodeID(3) }
        #expect(probes.count == 1, "probe state sends one batch at a time")
        let probe = try #require(probes.first?.request)
        #expect(probe.prevLogOffset == LogEnd(1))
        #expect(probe.frames.first?.end == LogEnd(2))
        #expect(probe.accountedBytes <= 256)
        // The entries come from the log on demand, byte for byte.
        #expect(probe.frames == Array(leader.log.stored[1..<(1 + probe.frames.count)]))
    }

    @Test func unacknowledgedBatchesAreRetriedAfterTheRetryTimeout() throws {
        var leader = try pipeliningLeader(batches: 2, bytes: 1_000, messageBytes: 500)
        leader.step(clientAppend(ClientRequestID(1), [1]))
        var retried = false
        for _ in 0..<8 {
            let actions = leader.step(.tick)
            if actions.appendRequests.contains(where: { $0.to == NodeID(3) && !$0.request.frames.isEmpty }) { retried = true }
        }
        #expect(retried)
    }

    @Test func inflightWindowFreesBatchesOnlyWhenFullyAcknowledged() {
        var window = InflightWindow(batchesMax: 3, bytesMax: 100)
        window.add(lastOffset: LogEnd(2), bytes: 40)
        window.add(lastOffset: LogEnd(5), bytes: 40)
        #expect(window.bytesAvailable == 20)
        window.free(through: LogEnd(4))
        #expect(window.count == 1)
        #expect(window.bytes == 40)
        window.free(through: LogEnd(5))
        #expect(window.isEmpty)
    }
}
