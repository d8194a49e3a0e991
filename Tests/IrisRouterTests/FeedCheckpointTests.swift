import IrisLog
import IrisMQTT
import Testing

@testable import IrisRouter

/// Checkpoints of a feed alone, for partitions a node follows but does not host (SPEC.md §16.8),
/// and the check of any checkpoint against the log it covers.
@Suite struct FeedCheckpointTests {
    /// A feed restored from its own checkpoint, at any point of a replay, ends with the index and
    /// retained table of an uninterrupted one; the checkpoint holds no session.
    @Test(arguments: 1...30)
    func aFeedRestoredAtAnyPointEndsInTheUninterruptedState(seed: UInt64) throws {
        let logs = RouterCheckpointTests.runLogs(seed: seed)
        var random = SeededGenerator(seed: seed &* 104_729)
        var uninterrupted = Replay(logs: logs)
        var restored = Replay(logs: logs)
        var restores = 0
        while let (partition, end) = uninterrupted.nextBatch(using: &random) {
            uninterrupted.deliver(partition, upTo: end)
            restored.deliver(partition, upTo: end)
            if random.chance(30) {
                let checkpoint = restored.feedCheckpoint(partition)
                let bytes = checkpoint.serialized()
                let decoded = try RouterCheckpoint(deserializing: bytes, partition: partition, partitionCount: logs.partitionCount)
                #expect(decoded.serialized() == bytes)
                #expect(decoded.sessionCount == 0 && decoded.position == end && decoded.lastRecord == checkpoint.lastRecord)
                restored.indexes[partition] = decoded.index
                restored.retained[partition] = decoded.retained
                restores += 1
            }
        }
        for partition in 0..<logs.partitionCount {
            #expect(restored.feedCheckpoint(partition).serialized() == uninterrupted.feedCheckpoint(partition).serialized(),
                "seed \(seed), partition \(partition), after \(restores) restores")
        }
        // The feed's part of a hosted partition's checkpoint is the same state.
        for partition in 0..<logs.partitionCount {
            let hosted = uninterrupted.checkpoint(partition)
            #expect(hosted.index.serialized() == uninterrupted.feedCheckpoint(partition).index.serialized())
        }
    }

    /// A feed checkpoint holds what was read: the runs index messages and keep retained ones.
    @Test func aFeedCheckpointHoldsTheIndexAndRetainedTable() throws {
        var indexed = 0
        var retained = 0
        for seed in UInt64(1)...10 {
            var replay = Replay(logs: RouterCheckpointTests.runLogs(seed: seed))
            replay.deliverEverything()
            for partition in 0..<replay.logs.partitionCount {
                let decoded = try RouterCheckpoint(
                    deserializing: replay.feedCheckpoint(partition).serialized(), partition: partition, partitionCount: replay.logs.partitionCount)
                #expect(decoded.index.offsetCount == replay.indexes[partition].offsetCount)
                #expect(decoded.retained.count == replay.retained[partition].count)
                indexed += decoded.index.offsetCount
                retained += decoded.retained.count
            }
        }
        #expect(indexed > 0 && retained > 0, "\(indexed) indexed, \(retained) retained")
    }

    static func record(at offset: UInt64, value: [UInt8] = [1, 2, 3], timestamp: Int64 = 1_000) -> LogRecord {
        LogRecord(offset: Offset(offset), timestampMicroseconds: timestamp, key: [9], value: value, headers: [], term: Term(1))
    }

    static func checkpoint(at position: UInt64, last: LogRecord?) -> RouterCheckpoint {
        RouterCheckpoint(
            feedOf: 1, partitionCount: 4, position: position, lastRecord: last.map(RecordStamp.init), index: TopicIndex(), retained: RetainedTable())
    }

    @Test func theCheckAcceptsTheLogThatHoldsTheLastRecord() throws {
        let last = Self.record(at: 41)
        try Self.checkpoint(at: 42, last: last).check(logEnd: 42, recordAtLast: last)
        try Self.checkpoint(at: 42, last: last).check(logEnd: 1_000, recordAtLast: last)
        // Offset 0 covers nothing: any log holds it.
        try Self.checkpoint(at: 0, last: nil).check(logEnd: 0, recordAtLast: nil)
    }

    @Test func theCheckRefusesALogShorterThanTheCheckpoint() {
        let last = Self.record(at: 41)
        #expect(throws: RouterCheckpointError.logMismatch("it covers offsets up to 41, the log ends at 41")) {
            try Self.checkpoint(at: 42, last: last).check(logEnd: 41, recordAtLast: nil)
        }
        #expect(throws: RouterCheckpointError.logMismatch("it covers offsets up to 41, the log ends at 0")) {
            try Self.checkpoint(at: 42, last: last).check(logEnd: 0, recordAtLast: nil)
        }
    }

    @Test func theCheckRefusesAnotherRecordAtTheLastOffset() {
        let last = Self.record(at: 41)
        let mismatch = RouterCheckpointError.logMismatch("the record at offset 41 is not the one it covered")
        #expect(throws: mismatch) { try Self.checkpoint(at: 42, last: last).check(logEnd: 50, recordAtLast: Self.record(at: 41, value: [1, 2, 4])) }
        #expect(throws: mismatch) { try Self.checkpoint(at: 42, last: last).check(logEnd: 50, recordAtLast: Self.record(at: 41, timestamp: 1_001)) }
        #expect(throws: RouterCheckpointError.logMismatch("reading offset 41 gave offset 43")) {
            try Self.checkpoint(at: 42, last: last).check(logEnd: 50, recordAtLast: Self.record(at: 43))
        }
        #expect(throws: RouterCheckpointError.logMismatch("no record could be read at offset 41")) {
            try Self.checkpoint(at: 42, last: last).check(logEnd: 50, recordAtLast: nil)
        }
    }
}

extension Replay {
    /// The checkpoint of `partition`'s feed alone, as a node that does not host it takes it.
    func feedCheckpoint(_ partition: Int) -> RouterCheckpoint {
        let position = positions[partition]
        let last = position == 0 ? nil : RecordStamp(logs.records[partition][Int(position - 1)])
        return RouterCheckpoint(
            feedOf: partition, partitionCount: logs.partitionCount, position: position, lastRecord: last, index: indexes[partition],
            retained: retained[partition])
    }
}
