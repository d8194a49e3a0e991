@testable import IrisLog
import Testing

/// Frames moved between logs byte for byte (replication): `readFrames`, `append(frames:)`,
/// `EncodedBatch.sealed`, `SealedFrame(validating:)`, and `sync()` for `.none` durability.
@Suite("Sealed frames")
struct SealedFrameTests {
    /// Appends `count` batches of 1...3 records through the ordinary API, some compressed.
    func fillLeader(_ log: Log, count: Int) async throws {
        var random = SplitMix64(seed: 5)
        for index in 0..<count {
            // Half random bytes, half zeros: zstd shrinks them, so both codecs occur.
            let records = (0...(index % 3)).map { _ in
                Record(value: (0..<(40 + index * 13)).map { $0 % 2 == 0 ? UInt8(truncatingIfNeeded: random.next()) : 0 },
                       key: [UInt8(index)])
            }
            _ = try await log.append(contentsOf: records, term: Term(UInt64(1 + index / 20)))
        }
    }

    @Test(arguments: Backend.allCases)
    func framesCopiedFromOneLogMakeAnIdenticalLog(backend: Backend) async throws {
        let leaderFixture = LogFixture(backend) { $0.segmentSizeBytes = 64 << 10; $0.compression = .zstd }
        let followerFixture = LogFixture(backend) { $0.segmentSizeBytes = 64 << 10 }
        defer { leaderFixture.cleanup(); followerFixture.cleanup() }
        let leader = try leaderFixture.open()
        let follower = try followerFixture.open()
        try await fillLeader(leader, count: 120)
        var next = Offset(0)
        while next < leader.nextOffset {
            let frames = try leader.readFrames(from: next, maxBytes: 3_000)
            try #require(!frames.isEmpty)
            let range = try await follower.append(frames: frames)
            #expect(range.lowerBound == next)
            next = frames.last!.nextOffset
        }
        #expect(follower.nextOffset == leader.nextOffset)
        #expect(try follower.readAll() == leader.readAll())
        #expect(try follower.readFrames(from: Offset(0), maxBytes: .max) == leader.readFrames(from: Offset(0), maxBytes: .max))
        #expect(leader.segmentCount > 1 && follower.segmentCount == leader.segmentCount, "the copy rolled segments too")
        await leader.close()
        await follower.close()
        // Byte for byte on disk too, after reopening (recovery and the chain accept the copy).
        let reopened = try followerFixture.open()
        #expect(reopened.recoveryReport.corruption == nil)
        #expect(reopened.nextOffset == next)
        await reopened.close()
    }

    @Test func readFramesStartsAtTheFrameHoldingTheOffset() async throws {
        let fixture = LogFixture(.simulated)
        let log = try fixture.open()
        defer { fixture.cleanup() }
        _ = try await log.append(contentsOf: [Record(value: [1]), Record(value: [2]), Record(value: [3])])
        _ = try await log.append(contentsOf: [Record(value: [4])])
        let frames = try log.readFrames(from: Offset(1), maxBytes: 1)
        #expect(frames.count == 1 && frames[0].baseOffset == Offset(0) && frames[0].recordCount == 3)
        #expect(try log.readFrames(from: Offset(1), maxBytes: .max).map(\.baseOffset) == [Offset(0), Offset(3)])
        #expect(try log.readFrames(from: Offset(4), maxBytes: .max).isEmpty)
        #expect(throws: LogError.offsetOutOfRange(requested: Offset(9), first: Offset(0), next: Offset(4))) {
            try log.readFrames(from: Offset(9), maxBytes: 1)
        }
        await log.close()
    }

    @Test func framesThatDoNotContinueTheLogAreRefusedWithTypedErrors() async throws {
        let fixture = LogFixture(.simulated)
        let log = try fixture.open()
        defer { fixture.cleanup() }
        let batch = try EncodedBatch(records: [Record(value: [7])], timestampMicroseconds: 1)
        let first = batch.sealed(baseOffset: Offset(0), term: Term(1), previousCRC: 0)
        _ = try await log.append(frames: [first])
        // Wrong offset: a gap.
        await #expect(throws: LogError.frameOutOfSequence(expected: Offset(1), got: Offset(2))) {
            try await log.append(frames: [batch.sealed(baseOffset: Offset(2), term: Term(1), previousCRC: first.crc)])
        }
        // Right offset, wrong chain: the logs differ before it.
        let stray = batch.sealed(baseOffset: Offset(1), term: Term(1), previousCRC: first.crc ^ 1)
        await #expect(throws: LogError.frameChainMismatch(offset: Offset(1), expectedPreviousCRC: first.crc, previousCRC: first.crc ^ 1)) {
            try await log.append(frames: [stray])
        }
        // Frames of one call must follow each other.
        let second = batch.sealed(baseOffset: Offset(1), term: Term(1), previousCRC: first.crc)
        await #expect(throws: LogError.frameChainMismatch(offset: Offset(2), expectedPreviousCRC: second.crc, previousCRC: 5)) {
            try await log.append(frames: [second, batch.sealed(baseOffset: Offset(2), term: Term(1), previousCRC: 5)])
        }
        await #expect(throws: LogError.emptyBatch) { try await log.append(frames: []) }
        #expect(log.nextOffset == Offset(1), "nothing of a refused call was appended")
        // After an ordinary append the chain continues from the frame the writer sealed.
        _ = try await log.append(contentsOf: [Record(value: [8])])
        let sealedByWriter = try log.readFrames(from: Offset(1), maxBytes: 1)[0]
        _ = try await log.append(frames: [batch.sealed(baseOffset: Offset(2), term: Term(2), previousCRC: sealedByWriter.crc)])
        #expect(try log.read(at: Offset(2)).term == Term(2))
        await log.close()
    }

    @Test func truncationMovesTheChainBackSoTheNewSuffixFollowsTheCut() async throws {
        let fixture = LogFixture(.simulated) { $0.segmentSizeBytes = 64 << 10 }
        let log = try fixture.open()
        defer { fixture.cleanup() }
        var frames: [SealedFrame] = []
        for index in 0..<300 {
            let batch = try EncodedBatch(records: [Record(value: payload(index, size: 300))], timestampMicroseconds: 1)
            frames.append(batch.sealed(baseOffset: Offset(UInt64(index)), term: Term(1), previousCRC: frames.last?.crc ?? 0))
        }
        _ = try await log.append(frames: frames)
        #expect(log.segmentCount > 1)
        try await log.truncate(from: Offset(100))
        let replacement = try EncodedBatch(records: [Record(value: [9])], timestampMicroseconds: 2)
            .sealed(baseOffset: Offset(100), term: Term(2), previousCRC: frames[99].crc)
        _ = try await log.append(frames: [replacement])
        #expect(try log.readFrames(from: Offset(99), maxBytes: .max) == [frames[99], replacement])
        await log.close()
    }

    @Test func validatingRejectsDamagedBytes() throws {
        let frame = try EncodedBatch(records: [Record(value: [1, 2, 3])], timestampMicroseconds: 1)
            .sealed(baseOffset: Offset(4), term: Term(3), previousCRC: 77)
        #expect(try SealedFrame(validating: frame.bytes) == frame)
        #expect(frame.baseOffset == Offset(4) && frame.term == Term(3) && frame.previousCRC == 77)
        #expect(try frame.records().map(\.value) == [[1, 2, 3]])
        for position in [0, 4, 20, frame.bytes.count - 1] {
            var damaged = frame.bytes
            damaged[position] ^= 0x10
            #expect(throws: LogError.self) { try SealedFrame(validating: damaged) }
        }
        #expect(throws: LogError.self) { try SealedFrame(validating: frame.bytes + [0]) }
    }

    /// `.none` durability leaves writes unsynced until `sync()`: a power loss keeps every
    /// record synced by it, whatever it tears after.
    @Test func syncMakesNoneDurabilityWritesSurvivePowerLoss() async throws {
        for seed in UInt64(0)..<30 {
            let fixture = LogFixture(.simulated) { $0.durability = .none; $0.segmentSizeBytes = 64 << 10 }
            let log = try fixture.open()
            for index in 0..<40 {
                _ = try await log.append(Record(value: payload(index, size: 100)))
                if index == 19 { try await log.sync() }
            }
            fixture.disk!.powerLoss(seed: seed)
            await log.close()
            let reopened = try fixture.open()
            #expect(reopened.nextOffset >= Offset(20))
            let records = try reopened.readAll()
            #expect(records.map(\.value) == (0..<records.count).map { payload($0, size: 100) })
            await reopened.close()
        }
    }
}
