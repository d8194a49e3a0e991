import Testing
@testable import IrisLog

/// Issue 9, item 2 (review findings E-3, E-4, E-5, E-7): failures are reported where they
/// belong, durable appends are answered as durable, and calls are all or nothing.
struct FailStopHygieneTests {
    /// E-4: a sync that succeeded and a later one that failed are both pending: the writer
    /// acknowledges the runs the first made durable before it fails the rest.
    @Test func aSuccessfulSyncIsActedOnBeforeALaterFailedOne() {
        let failure = StorageError(operation: "fdatasync", path: "/log/x", errno: 5)
        let both = SyncProgress(syncedEnd: 4096, failure: (end: 8192, error: failure))
        guard case .synced(through: 4096) = LogWriter.finishedSync(both, logFailed: false, acknowledgedThrough: 1024) else {
            Issue.record("the durable runs must be acknowledged first"); return
        }
        guard case .syncFailed(end: 8192, _) = LogWriter.finishedSync(both, logFailed: false, acknowledgedThrough: 4096) else {
            Issue.record("then the failure must be handled"); return
        }
        #expect(LogWriter.finishedSync(both, logFailed: true, acknowledgedThrough: 4096) == nil)
        #expect(LogWriter.finishedSync(SyncProgress(syncedEnd: 4096), logFailed: false, acknowledgedThrough: 4096) == nil)
    }

    /// E-5: with `.none` durability, a failed final sync at close is reported, not swallowed.
    @Test func closeReportsAFailedFinalSync() async throws {
        let fixture = LogFixture(.simulated) { $0.durability = .none }
        let log = try fixture.open()
        _ = try await log.append([1, 2, 3])
        #expect(log.failure == nil)
        fixture.disk!.failSyncs(.io, pathSuffix: ".log")
        let failure = await log.close()
        guard case .io(operation: "fdatasync", _, 5, _) = failure else {
            Issue.record("close must return the failed sync, got \(String(describing: failure))"); return
        }
        #expect(log.failure == failure)
        fixture.disk!.failSyncs(nil)
        let reopened = try fixture.open()
        #expect(await reopened.close() == nil)
    }

    /// E-7: the frames of one `append(frames:)` call wait and are admitted together, so a
    /// truncation queued meanwhile refuses the whole call, never half of it.
    @Test func theFramesOfOneCallAreAdmittedOrRefusedTogether() throws {
        let batch = try EncodedBatch(records: [Record(value: [UInt8](repeating: 7, count: 100))], timestampMicroseconds: 1)
        let first = batch.sealed(baseOffset: Offset(0), term: Term(1), previousCRC: 0)
        let second = batch.sealed(baseOffset: Offset(1), term: Term(1), previousCRC: first.crc)
        let frameBytes = EncodedFrame(sealed: first).paddedLength
        var state = LogState(appendQueueBytesMax: frameBytes * 3, segments: [], nextOffset: Offset(0), lastCRC: 0)
        // An ordinary append fills the queue up to one frame short of the call's two.
        let filler = EncodedFrame(records: [Record(value: [UInt8](repeating: 1, count: 100))], term: Term(0), now: 0,
                                  codec: .none, compressionLevel: 3, compressionThresholdBytes: 0)
        #expect(try state.submit([PendingAppend(frame: filler, continuation: nil)]).get() == true)
        #expect(state.admittedBytes <= frameBytes * 2)
        let call = [first, second].map { PendingAppend(frame: EncodedFrame(sealed: $0), continuation: nil) }
        // Offsets are the filler's: the sealed call no longer starts at the log's end...
        #expect(throws: LogError.self) { try state.submit(call).get() }
        #expect(state.queue.count == 1 && state.nextOffset == Offset(1), "nothing of a refused call is queued")
        // ...and with the room gone it waits whole, then is refused whole.
        state.admittedBytes = frameBytes * 3
        #expect(try state.submit(call).get() == false)
        #expect(state.waiting.count == 1 && state.waiting[0].count == 2)
        state.admittedBytes = 0
        let refused = state.admitWaiting()
        #expect(refused.count == 1 && state.queue.count == 1 && state.waiting.isEmpty)
    }

    /// E-7: a refusal is reported to its own call, not carried over to the next.
    @Test func aRefusedCallDoesNotPassItsReasonToTheNext() throws {
        let batch = try EncodedBatch(records: [Record(value: [9])], timestampMicroseconds: 1)
        let first = batch.sealed(baseOffset: Offset(0), term: Term(1), previousCRC: 0)
        let stray = batch.sealed(baseOffset: Offset(5), term: Term(1), previousCRC: 0)
        var state = LogState(appendQueueBytesMax: 1 << 20, segments: [], nextOffset: Offset(0), lastCRC: 0)
        state.admittedBytes = 1 << 20
        #expect(try state.submit([PendingAppend(frame: EncodedFrame(sealed: stray), continuation: nil)]).get() == false)
        #expect(try state.submit([PendingAppend(frame: EncodedFrame(sealed: first), continuation: nil)]).get() == false)
        state.admittedBytes = 0
        let refused = state.admitWaiting()
        #expect(refused.count == 1 && refused[0].0.frame.baseOffset == Offset(5))
        #expect(state.queue.count == 1 && state.nextOffset == Offset(1))
    }

    /// E-3 (a), step by step: a reader that took its snapshot before a truncation, and reads
    /// after new frames were written over the cut, stops instead of returning them (they are
    /// the same size at the same positions, so only the epoch tells them apart).
    @Test func aReaderWithASnapshotFromBeforeATruncationReturnsNothingWrittenAfterIt() async throws {
        let fixture = LogFixture(.simulated)
        let log = try fixture.open()
        for index in 0..<10 { _ = try await log.append(tagged(generation: 0, index: index)) }
        let snapshot = try #require(try log.locate(Offset(5), continuing: false))
        try await log.truncate(from: Offset(5))
        for index in 5..<10 { _ = try await log.append(tagged(generation: 1, index: index)) }
        var cursor = Log.ReadCursor(next: Offset(5))
        var seen: [UInt8] = []
        let end = try log.walk(snapshot, &cursor, window: FrameWindow()) { header, bytes, _, _ in
            seen.append(bytes[FrameHeader.size + 8])  // a byte of the record's value region
            return true
        }
        #expect(end == .overlappedTruncation && seen.isEmpty && !cursor.visited)
        // A fresh read sees the new generation.
        #expect(try log.read(from: Offset(5)).map { $0.value[0] } == [1, 1, 1, 1, 1])
        await log.close()
    }

    /// E-3 (b), step by step: the same stale snapshot after a truncation that trimmed the
    /// bytes away is told apart from damage: no corruption error.
    @Test func aReaderWithASnapshotFromBeforeATruncationGetsNoFalseCorruption() async throws {
        let fixture = LogFixture(.simulated)
        let log = try fixture.open()
        for index in 0..<10 { _ = try await log.append(tagged(generation: 0, index: index)) }
        let snapshot = try #require(try log.locate(Offset(5), continuing: false))
        try await log.truncate(from: Offset(5))
        var cursor = Log.ReadCursor(next: Offset(5))
        let end = try log.walk(snapshot, &cursor, window: FrameWindow()) { _, _, _, _ in true }
        #expect(end == .overlappedTruncation)
        await log.close()
    }

    /// E-3 (c): a walk restarted after a truncation (the retry of a walk that returned nothing)
    /// reads the file again instead of serving the bytes its window held from before the cut.
    @Test func aWindowReusedAcrossATruncationReadsTheNewFrames() async throws {
        let fixture = LogFixture(.simulated)
        let log = try fixture.open()
        for index in 0..<10 { _ = try await log.append(tagged(generation: 0, index: index)) }
        let window = FrameWindow()
        let before = try #require(try log.locate(Offset(5), continuing: false))
        var old: [[UInt8]] = []
        var first = Log.ReadCursor(next: Offset(5))
        _ = try log.walk(before, &first, window: window) { header, bytes, _, _ in
            if header.baseOffset >= Offset(5) { old.append(Array(bytes)) }
            return true
        }
        try await log.truncate(from: Offset(5))
        for index in 5..<10 { _ = try await log.append(tagged(generation: 1, index: index)) }
        let after = try #require(try log.locate(Offset(5), continuing: false))
        func frames(_ window: FrameWindow) throws -> [[UInt8]] {
            var cursor = Log.ReadCursor(next: Offset(5))
            var seen: [[UInt8]] = []
            _ = try log.walk(after, &cursor, window: window) { header, bytes, _, _ in
                if header.baseOffset >= Offset(5) { seen.append(Array(bytes)) }
                return true
            }
            return seen
        }
        let reused = try frames(window)
        let fresh = try frames(FrameWindow())
        #expect(old.count == 5 && fresh.count == 5 && fresh != old)
        #expect(reused == fresh)
        #expect(try log.read(from: Offset(5)).map { $0.value[0] } == [1, 1, 1, 1, 1])
        await log.close()
    }

    /// E-3: readers racing truncations never get a corruption error from bytes a truncation
    /// removed or is rewriting, and what they return is a contiguous run of whole records.
    @Test(arguments: Backend.allCases)
    func readersRacingTruncationsGetNoFalseCorruption(backend: Backend) async throws {
        let fixture = LogFixture(backend) { $0.segmentSizeBytes = 64 << 10 }
        defer { fixture.cleanup() }
        let log = try fixture.open()
        // Generation 0 fills the log; each round cuts back and writes generation g over the cut.
        for index in 0..<300 { _ = try await log.append(tagged(generation: 0, index: index)) }
        let rounds = 40
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for round in 1...rounds {
                    let cut = Offset(UInt64(100 + (round * 37) % 150))
                    try await log.truncate(from: cut)
                    for index in Int(cut.rawValue)..<300 { _ = try await log.append(tagged(generation: round, index: index)) }
                }
            }
            for _ in 0..<2 {
                group.addTask {
                    var reads = 0
                    while reads < 400 {
                        let records = try log.read(from: Offset(0), maxBytes: 1 << 20)
                        // Offsets contiguous from 0, and each record's tag names its own offset.
                        #expect(!records.isEmpty)
                        for (index, record) in records.enumerated() {
                            #expect(record.offset == Offset(UInt64(index)))
                            #expect(Int(record.value[1]) | Int(record.value[2]) << 8 == index)
                        }
                        reads += 1
                        await Task.yield()
                    }
                }
            }
            try await group.waitForAll()
        }
        await log.close()
    }
}

/// A record naming its generation and offset: [generation, index low, index high, padding…].
private func tagged(generation: Int, index: Int) -> [UInt8] {
    [UInt8(generation), UInt8(index & 0xFF), UInt8(index >> 8)] + [UInt8](repeating: UInt8(index % 251), count: 200)
}
