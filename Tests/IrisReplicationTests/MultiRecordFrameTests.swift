import IrisLog
import IrisReplication
import Testing

/// Entries are IrisLog frames of any number of records: offsets are prefix ends, a frame is
/// never split, and divergence is cut at frame boundaries.
@Suite("Multi-record frames")
struct MultiRecordFrameTests {
    @Test func followerStoresAMultiRecordFrameAndAcknowledgesItsEnd() throws {
        var follower = HandDrivenReplica(try makeConfiguration(2), hardState: HardState(term: Term(1)))
        let batch = frame(1, base: 0, count: 5)
        let actions = follower.receive(.appendRequest(AppendRequest(
            term: Term(1), prevLogOffset: .zero, prevLogTerm: .zero, frames: [batch], commitOffset: .zero)),
            from: NodeID(1))
        #expect(actions.contains(.appendToLog([batch])))
        #expect(follower.core.lastOffset == LogEnd(5))
        let persisted = follower.step(.logPersisted(through: LogEnd(5), term: Term(1)))
        #expect(persisted.appendResponses.map(\.matchOffset) == [LogEnd(5)])
    }

    @Test func followerCutsADivergentSuffixAtTheFrameBoundary() throws {
        // Follower: [0,3) term 1, then [3,7) term 2 from a deposed leader.
        var follower = HandDrivenReplica(
            try makeConfiguration(2), hardState: HardState(term: Term(2)),
            frames: [frame(1, base: 0, count: 3), frame(2, base: 3, count: 4)])
        // The term 3 leader kept [0,3) and wrote [3,5) in term 3.
        let replacement = frame(3, base: 3, count: 2)
        let actions = follower.receive(.appendRequest(AppendRequest(
            term: Term(3), prevLogOffset: LogEnd(3), prevLogTerm: Term(1),
            frames: [replacement], commitOffset: .zero)), from: NodeID(1))
        #expect(actions.contains(.truncateLog(to: LogEnd(3))))
        #expect(follower.log.stored == [frame(1, base: 0, count: 3), replacement])
        #expect(follower.core.lastOffset == LogEnd(5))
        #expect(follower.core.termIndex.term(at: LogEnd(4)) == Term(3))
    }

    @Test func frameAlreadyHeldIsNotWrittenAgain() throws {
        let held = [frame(1, base: 0, count: 3), frame(1, base: 3, count: 2)]
        var follower = HandDrivenReplica(try makeConfiguration(2), hardState: HardState(term: Term(1)), frames: held)
        let actions = follower.receive(.appendRequest(AppendRequest(
            term: Term(1), prevLogOffset: .zero, prevLogTerm: .zero, frames: held, commitOffset: .zero)),
            from: NodeID(1))
        #expect(!actions.contains { if case .appendToLog = $0 { true } else { false } })
        #expect(!actions.contains { if case .truncateLog = $0 { true } else { false } })
        #expect(follower.log.stored == held)
    }

    @Test func probeFromAHintInsideAFrameStartsAtThatFramesBase() throws {
        // Leader log: [0,4) term 1 (four records), [4,5) term 2 (its term-start marker).
        var leader = HandDrivenReplica(
            try makeConfiguration(1), hardState: HardState(term: Term(1)), frames: [frame(1, base: 0, count: 4)])
        leader.becomeLeader(voters: [NodeID(2)])
        try #require(leader.core.lastOffset == LogEnd(5))
        // n3 rejects the first batch and hints at offset 2 with term 1: inside the 4-record frame.
        let actions = leader.receive(.appendResponse(AppendResponse(
            term: Term(2), success: false, matchOffset: .zero,
            rejectedPrevLogOffset: LogEnd(4), hintOffset: LogEnd(2), hintTerm: Term(1))), from: NodeID(3))
        let probe = try #require(actions.appendRequests.first { $0.to == NodeID(3) }?.request)
        #expect(probe.prevLogOffset == .zero, "frames go whole: back to the frame holding the hint")
        #expect(probe.frames.first == leader.log.stored[0])
        #expect(leader.core.progress(of: NodeID(3))?.nextOffset == LogEnd(1))
    }

    @Test func clientBatchOfManyRecordsCommitsAsOneFrame() throws {
        var leader = HandDrivenReplica(try makeConfiguration(1))
        leader.becomeLeader(voters: [NodeID(2)])
        let records = (0..<10).map { Record(value: [UInt8($0)]) }
        let batch = try EncodedBatch(records: records, timestampMicroseconds: 5)
        let proposal = leader.step(.clientAppend(ClientRequestID(1), batch: batch))
        let sealed = try #require(leader.log.stored.last)
        #expect(sealed.recordCount == 10 && sealed.start == LogEnd(1) && sealed.term == Term(1))
        #expect(proposal.appendRequests.allSatisfy { $0.request.frames.last == sealed })
        leader.step(.logPersisted(through: LogEnd(11), term: Term(1)))
        let acknowledged = leader.receive(.appendResponse(AppendResponse(
            term: Term(1), success: true, matchOffset: LogEnd(11))), from: NodeID(2))
        #expect(acknowledged.commits == [LogEnd(11)])
        #expect(acknowledged.clientResults == [ClientRequestID(1): .committed(Offset(1))])
    }
}

extension MultiRecordFrameTests {
    @Test func requestWhoseFramesDoNotFollowEachOtherIsDropped() throws {
        var follower = HandDrivenReplica(try makeConfiguration(2), hardState: HardState(term: Term(1)))
        let first = frame(1, base: 0, count: 2)
        let gap = frame(1, base: 3, count: 1, previousCRC: first.crc)
        let overlap = frame(1, base: 1, count: 2, previousCRC: first.crc)
        for frames in [[gap], [first, gap], [first, overlap]] {
            let actions = follower.receive(.appendRequest(AppendRequest(
                term: Term(1), prevLogOffset: frames[0].start, prevLogTerm: .zero, frames: [], commitOffset: .zero)
                .replacingFrames(frames)), from: NodeID(1))
            #expect(actions.isEmpty, "dropped like a lost message")
            #expect(follower.log.stored.isEmpty)
        }
    }
}

extension AppendRequest {
    /// The request with other frames, bypassing the initializer's check (as a decoder bug or a
    /// hostile peer could).
    func replacingFrames(_ frames: [SealedFrame]) -> AppendRequest {
        var request = self
        request.frames = frames
        request.prevLogOffset = .zero
        return request
    }
}

extension MultiRecordFrameTests {
    /// The leader chains each client frame to the last one it appended: no log read per append.
    @Test func leaderSealsClientAppendsWithoutReadingTheLog() throws {
        var leader = HandDrivenReplica(
            try makeConfiguration(1), hardState: HardState(term: Term(1)), frames: [frame(1, base: 0, count: 3)])
        leader.becomeLeader(voters: [NodeID(2)])
        let readsAtLeadership = leader.log.frameReads.value
        for index in 0..<20 { leader.step(clientAppend(ClientRequestID(UInt64(index)), [UInt8(index)])) }
        #expect(leader.log.frameReads.value == readsAtLeadership)
        for (previous, next) in zip(leader.log.stored, leader.log.stored.dropFirst()).dropFirst() {
            #expect(next.previousCRC == previous.crc, "each frame chains to the one before")
        }
    }
}
