import IrisLog
import IrisReplication
import Testing

@Suite("Configuration validation")
struct ConfigurationTests {
    func configuration(
        members: [NodeID] = [NodeID(1), NodeID(2), NodeID(3)], node: NodeID = NodeID(1),
        electionMin: Int = 10, electionMax: Int = 20, heartbeat: Int = 2,
        batches: Int = 8, inflightBytes: Int = 65_536, messageBytes: Int = 16_384, payloadBytes: Int = 4_096
    ) -> Result<ReplicaConfiguration, ConfigurationError> {
        Result { () throws(ConfigurationError) in
            try ReplicaConfiguration(
                nodeID: node, members: members, electionTimeoutTicksMin: electionMin,
                electionTimeoutTicksMax: electionMax, heartbeatIntervalTicks: heartbeat,
                inflightBatchesMax: batches, inflightBytesMax: inflightBytes,
                messageBytesMax: messageBytes, frameBytesMax: payloadBytes)
        }
    }

    func error(_ result: Result<ReplicaConfiguration, ConfigurationError>) -> ConfigurationError? {
        if case .failure(let error) = result { error } else { nil }
    }

    @Test func validConfigurationsOfThreeAndFiveReplicasAreAccepted() {
        #expect(error(configuration()) == nil)
        #expect(error(configuration(members: (1...5).map { NodeID(UInt64($0)) })) == nil)
    }

    @Test func invalidSettingsAreRejectedWithTypedErrors() {
        #expect(error(configuration(members: (1...4).map { NodeID(UInt64($0)) })) == .unsupportedMemberCount(4))
        #expect(error(configuration(members: [NodeID(1), NodeID(1), NodeID(2)])) == .duplicateMember(NodeID(1)))
        #expect(error(configuration(node: NodeID(9))) == .nodeNotMember(NodeID(9)))
        #expect(error(configuration(electionMin: 10, electionMax: 10)) == .electionTimeoutRangeEmpty(min: 10, max: 10))
        #expect(error(configuration(heartbeat: 10)) == .heartbeatNotShorterThanElectionTimeout(
            heartbeatIntervalTicks: 10, electionTimeoutTicksMin: 10))
        #expect(error(configuration(batches: 0)) == .valueTooSmall(setting: "inflightBatchesMax", value: 0, minimum: 1))
        #expect(error(configuration(messageBytes: 1_000, payloadBytes: 4_096)) == .budgetsInconsistent(
            frameBytesMax: 4_096, messageBytesMax: 1_000, inflightBytesMax: 65_536))
        #expect(error(configuration(payloadBytes: 64)) == .valueTooSmall(
            setting: "frameBytesMax", value: 64, minimum: ReplicaConfiguration.frameBytesMin))
    }
}

@Suite("Term index")
struct TermIndexTests {
    @Test func termLookupAndConflictSkipFollowRuns() {
        var index = TermIndex()
        // Frames ending at 2 (two records), 3, 4 and 5.
        for (base, end, term) in [(0, 2, 1), (2, 3, 3), (3, 4, 3), (4, 5, 4)] {
            index.append(term: Term(UInt64(term)), from: LogEnd(UInt64(base)), through: LogEnd(UInt64(end)))
        }
        #expect(index.term(at: LogEnd(1)) == Term(1))
        #expect(index.term(at: .zero) == .zero)
        #expect(index.term(at: LogEnd(2)) == Term(1))
        #expect(index.term(at: LogEnd(4)) == Term(3))
        #expect(index.term(at: LogEnd(6)) == nil)
        #expect(index.lastOffset(atOrBefore: LogEnd(5), withTermAtMost: Term(2)) == LogEnd(2))
        #expect(index.lastOffset(atOrBefore: LogEnd(5), withTermAtMost: Term(3)) == LogEnd(4))
        #expect(index.lastOffset(atOrBefore: LogEnd(9), withTermAtMost: Term(0)) == .zero)
        index.truncate(after: LogEnd(3))
        #expect(index.lastOffset == LogEnd(3))
        #expect(index.lastTerm == Term(3))
        #expect(index.runs.count == 2)
    }

    @Test func indexReadFromALogMatchesTheFramesAndReadsFewOfThem() throws {
        // 2,000 frames of 1-3 records in 7 terms (some terms absent).
        var frames: [SealedFrame] = []
        var base: UInt64 = 0
        for index in 0..<2_000 {
            let term = UInt64([1, 2, 2, 5, 6, 9, 12][index * 7 / 2_000])
            let count = 1 + index % 3
            frames.append(frame(term, base: base, count: count))
            base += UInt64(count)
        }
        let log = CountingLog(stored: frames)
        let index = try TermIndex(reading: log)
        var expected = TermIndex()
        for frame in frames { expected.append(term: frame.term, from: frame.start, through: frame.end) }
        #expect(index == expected)
        #expect(index.runs.count == 6)
        #expect(log.reads.value < 150, "binary search, not a scan: \(log.reads.value) frames read")
        #expect(try TermIndex(reading: CountingLog(stored: [])) == TermIndex())
    }
}

/// A `MemoryLog` that counts the frames read through `frame(holding:)`.
struct CountingLog: LogReader {
    final class Counter: @unchecked Sendable { var value = 0 }
    let stored: [SealedFrame]
    let reads = Counter()

    var lastOffset: LogEnd { stored.last?.end ?? .zero }

    func frame(holding offset: Offset) throws(LogError) -> SealedFrame {
        reads.value += 1
        return try MemoryLog(stored: stored).frame(holding: offset)
    }

    func frames(from offset: Offset, bytesMax: Int) throws(LogError) -> [SealedFrame] {
        try MemoryLog(stored: stored).frames(from: offset, bytesMax: bytesMax)
    }
}
