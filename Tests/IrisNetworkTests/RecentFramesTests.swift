import IrisLog
import IrisNode
import IrisReplication
import Testing

@testable import IrisDaemon

/// The replica's in-memory window of recent frames (`RecentFrames` behind `CachingReplicaLog`):
/// whatever it answers is exactly what the log's files hold, across segment rolls, truncations
/// of an uncommitted tail, and eviction; what it cannot answer is left to the log.
@Suite("Recent frames")
struct RecentFramesTests {
    /// A log on a simulated disk with small segments, written only through a `CachingReplicaLog`.
    final class Harness {
        let log: Log
        let caching: CachingReplicaLog
        /// Every frame written and still in the log, in order: the chain the next one continues.
        var written: [SealedFrame] = []

        init(capacityBytes: Int) throws {
            var configuration = LogConfiguration()
            configuration.ioBackend = .simulated(SimulatedDisk())
            configuration.durability = .none
            configuration.segmentSizeBytes = 64 << 10
            configuration.recordBytesMax = 4 << 10
            configuration.batchBytesMax = 8 << 10
            configuration.indexIntervalBytes = 4096
            log = try Log.open(directory: "/log", configuration: configuration)
            caching = CachingReplicaLog(view: LogReplicaView(log: log), recent: RecentFrames(capacityBytes: capacityBytes))
        }

        var recent: RecentFrames { caching.recent }

        /// Appends `count` frames of 1 to 3 records each, values tagged with `tag`, in `term`.
        func append(frames count: Int, term: UInt64, tag: UInt8) async throws {
            var frames: [SealedFrame] = []
            var next = written.last?.nextOffset ?? Offset(0)
            var previousCRC = written.last?.crc ?? 0
            for index in 0..<count {
                let records = (0...(index % 3)).map { part in
                    Record(value: [UInt8](repeating: tag, count: 300 + 97 * part + index % 50), key: [UInt8(index % 251)])
                }
                let frame = try EncodedBatch(records: records, timestampMicroseconds: 1_000 + Int64(index))
                    .sealed(baseOffset: next, term: Term(term), previousCRC: previousCRC)
                frames.append(frame)
                next = frame.nextOffset
                previousCRC = frame.crc
            }
            try await caching.append(frames: frames)
            written += frames
        }

        /// Truncates the log (through the caching log) from `offset`, a frame boundary.
        func truncate(from offset: Offset) async throws {
            try await caching.truncate(from: offset)
            written.removeAll { $0.nextOffset > offset }
        }

        /// For every offset the window holds and several byte limits: the window's records and
        /// frames are the log's own.
        func expectWindowMatchesLog(sourceLocation: SourceLocation = #_sourceLocation) throws {
            guard let range = recent.range else {
                Issue.record("the window is empty", sourceLocation: sourceLocation)
                return
            }
            #expect(range.upperBound == log.nextOffset, "the window ends where the log ends", sourceLocation: sourceLocation)
            let end = log.nextOffset
            for raw in range.lowerBound.rawValue..<range.upperBound.rawValue {
                let offset = Offset(raw)
                for maxBytes in [1, 700, 4 << 10, 1 << 20] {
                    let cached = try #require(recent.records(from: offset, below: end, maxBytes: maxBytes), sourceLocation: sourceLocation)
                    let stored = try log.read(from: offset, maxBytes: maxBytes)
                    let same = cached == stored
                    #expect(same, "records from \(raw), maxBytes \(maxBytes): \(cached.count) cached, \(stored.count) stored", sourceLocation: sourceLocation)
                }
                let below = Offset(raw + 2)
                let cappedCached = try #require(recent.records(from: offset, below: below, maxBytes: 1 << 20), sourceLocation: sourceLocation)
                let cappedStored = try log.read(from: offset, maxBytes: 1 << 20).filter { $0.offset < below }
                let sameCapped = cappedCached == cappedStored
                #expect(sameCapped, "records from \(raw) below \(raw + 2)", sourceLocation: sourceLocation)
                for bytesMax in [100, 3 << 10, 1 << 20] {
                    let sameFrames = try caching.frames(from: offset, bytesMax: bytesMax) == LogReplicaView(log: log).frames(from: offset, bytesMax: bytesMax)
                    #expect(sameFrames, "frames from \(raw), bytesMax \(bytesMax)", sourceLocation: sourceLocation)
                }
                let sameFrame = try caching.frame(holding: offset) == LogReplicaView(log: log).frame(holding: offset)
                #expect(sameFrame, "frame holding \(raw)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("answers exactly what the log's files hold, across segment rolls")
    func matchesTheLogAcrossSegmentRolls() async throws {
        let harness = try Harness(capacityBytes: 64 << 20)
        for round in 0..<6 { try await harness.append(frames: 40, term: 1, tag: UInt8(round)) }
        #expect(harness.log.segmentCount > 3, "the log rolled segments")
        #expect(harness.recent.range == Offset(0)..<harness.log.nextOffset, "nothing evicted: the window holds the whole log")
        try harness.expectWindowMatchesLog()
        _ = await harness.log.close()
    }

    @Test("a truncated uncommitted tail is dropped, and what replaces it is what is answered")
    func truncationDropsTheTail() async throws {
        let harness = try Harness(capacityBytes: 64 << 20)
        try await harness.append(frames: 60, term: 1, tag: 0xA1)
        let cut = harness.written[45].baseOffset
        try await harness.truncate(from: cut)
        #expect(harness.recent.range?.upperBound == cut)
        #expect(harness.recent.frame(holding: cut) == nil, "no frame past the cut is kept")
        try await harness.append(frames: 30, term: 2, tag: 0xB2)
        try harness.expectWindowMatchesLog()
        let replaced = try #require(harness.recent.records(from: cut, below: harness.log.nextOffset, maxBytes: 1))
        #expect(replaced.first?.value.first == 0xB2, "the record at the cut is the new term's")
        _ = await harness.log.close()
    }

    @Test("a truncation inside a frame drops that frame; the next append starts the window again")
    func truncationInsideAFrame() async throws {
        let harness = try Harness(capacityBytes: 64 << 20)
        try await harness.append(frames: 20, term: 1, tag: 1)
        // Frame 5 holds 3 records (5 % 3 == 2): cut after its first.
        let frame = harness.written[5]
        #expect(frame.recordCount == 3)
        harness.recent.truncating(from: frame.baseOffset.advanced(by: 1))
        #expect(harness.recent.range?.upperBound == frame.baseOffset, "the frame holding the cut is gone")
        harness.recent.appended([harness.written[6]])
        #expect(harness.recent.range == harness.written[6].baseOffset..<harness.written[6].nextOffset,
            "a frame that does not continue the window replaces it")
        _ = await harness.log.close()
    }

    @Test("eviction keeps the newest frames within the bound; older offsets are left to the log")
    func evictionKeepsTheNewest() async throws {
        let capacity = 16 << 10
        let harness = try Harness(capacityBytes: capacity)
        for round in 0..<5 { try await harness.append(frames: 30, term: 1, tag: UInt8(round)) }
        let range = try #require(harness.recent.range)
        #expect(range.lowerBound > Offset(0), "old frames were evicted")
        let kept = harness.written.filter { $0.baseOffset >= range.lowerBound }
        #expect(kept.reduce(0) { $0 + $1.storedBytes } <= capacity, "kept frames fit the bound")
        let next = try #require(harness.written.first { $0.baseOffset < range.lowerBound && $0.nextOffset == range.lowerBound })
        #expect(next.storedBytes + kept.reduce(0) { $0 + $1.storedBytes } > capacity, "no more was evicted than the bound needs")
        #expect(harness.recent.records(from: Offset(0), below: harness.log.nextOffset, maxBytes: 1 << 20) == nil)
        #expect(harness.recent.frame(holding: Offset(0)) == nil)
        #expect(try harness.caching.frame(holding: Offset(0)) == LogReplicaView(log: harness.log).frame(holding: Offset(0)),
            "an evicted frame is read from the log")
        try harness.expectWindowMatchesLog()
        _ = await harness.log.close()
    }

    @Test("a failed append forgets the window")
    func failedAppendClears() async throws {
        let harness = try Harness(capacityBytes: 64 << 20)
        try await harness.append(frames: 5, term: 1, tag: 1)
        // A frame that does not continue the log: the log refuses it.
        let stray = try EncodedBatch(records: [Record(value: [9])], timestampMicroseconds: 1)
            .sealed(baseOffset: Offset(1_000), term: Term(1), previousCRC: 7)
        await #expect(throws: LogError.self) { try await harness.caching.append(frames: [stray]) }
        #expect(harness.recent.range == nil)
        _ = await harness.log.close()
    }
}
