import Testing
@testable import IrisLog

struct MaintenanceTests {
    static func filled(_ backend: Backend, records: Int = 600, configure: (inout LogConfiguration) -> Void = { _ in }) async throws -> (LogFixture, Log) {
        let fixture = LogFixture(backend) { $0.segmentSizeBytes = 64 << 10; configure(&$0) }
        let log = try fixture.open()
        for index in 0..<records { _ = try await log.append(payload(index, size: 400)) }
        return (fixture, log)
    }

    @Test(arguments: Backend.allCases)
    func deleteSegmentsRemovesOnlyWholeSegmentsBeforeTheOffset(backend: Backend) async throws {
        let (fixture, log) = try await Self.filled(backend)
        defer { fixture.cleanup() }
        let bases = log.lock.withLock { $0.segments.map(\.baseOffset) }
        #expect(bases.count >= 4)
        let removed = try await log.deleteSegments(before: bases[2].advanced(by: 1))
        #expect(removed == 2)
        #expect(log.firstOffset == bases[2])
        #expect(!fixture.exists(SegmentFileName.segment(bases[0])) && !fixture.exists(SegmentFileName.index(bases[1])))
        #expect(throws: LogError.offsetOutOfRange(requested: Offset(0), first: bases[2], next: Offset(600))) { try log.read(at: Offset(0)) }
        #expect(try log.read(at: bases[2]).value == payload(Int(bases[2].rawValue), size: 400))
        // Never the active segment.
        #expect(try await log.deleteSegments(before: Offset(10_000)) == bases.count - 3)
        #expect(log.segmentCount == 1)
        await log.close()
        let reopened = try fixture.open()
        #expect(reopened.firstOffset == bases.last! && reopened.nextOffset == Offset(600))
        #expect(try reopened.readAll().count == 600 - Int(bases.last!.rawValue))
        await reopened.close()
    }

    @Test func retentionBySizeKeepsTheLogUnderTheLimit() async throws {
        let (fixture, log) = try await Self.filled(.simulated, records: 1500) { $0.retentionBytesMax = 200 << 10 }
        // Checked at every roll: the sealed segments beyond the limit are gone.
        #expect(log.sizeBytes <= 200 << 10 + 64 << 10)
        #expect(log.firstOffset > Offset(0))
        #expect(try log.read(at: Offset(1499)).value == payload(1499, size: 400))
        _ = fixture
        await log.close()
    }

    @Test func retentionByAgeDeletesSegmentsWithOnlyOldRecords() async throws {
        let fixture = LogFixture(.simulated) { $0.segmentSizeBytes = 64 << 10; $0.retentionAgeMicrosecondsMax = 3_600_000_000 }
        let log = try fixture.open()
        let old = WallClock.nowMicroseconds() - 7_200_000_000
        for index in 0..<300 { _ = try await log.append(Record(value: payload(index, size: 400), timestampMicroseconds: old)) }
        let oldEnd = log.nextOffset
        for index in 300..<600 { _ = try await log.append(payload(index, size: 400)) }
        _ = try await log.applyRetention()
        #expect(log.firstOffset > Offset(0) && log.firstOffset <= oldEnd)
        #expect(try log.read(at: oldEnd).value == payload(Int(oldEnd.rawValue), size: 400))
        await log.close()
    }

    @Test(arguments: Backend.allCases)
    func truncateAfterDropsTheSuffixDurably(backend: Backend) async throws {
        let (fixture, log) = try await Self.filled(backend)
        defer { fixture.cleanup() }
        let bases = log.lock.withLock { $0.segments.map(\.baseOffset) }
        // Cut inside an earlier segment: later segments go, that one becomes active.
        let cut = bases[1].advanced(by: 3)
        try await log.truncate(after: cut)
        #expect(log.nextOffset == cut.advanced(by: 1))
        #expect(log.segmentCount == 2)
        #expect(!fixture.exists(SegmentFileName.segment(bases[2])))
        await #expect(throws: LogError.offsetOutOfRange(requested: cut.advanced(by: 1), first: Offset(0), next: cut.advanced(by: 1))) {
            try log.read(at: cut.advanced(by: 1))
        }
        // New appends continue from the cut and chain correctly.
        #expect(try await log.append(Array("new".utf8)) == cut.advanced(by: 1))
        await log.close()
        let reopened = try fixture.open()
        #expect(reopened.recoveryReport.tornTail == nil)
        let records = try reopened.readAll()
        #expect(records.count == Int(cut.rawValue) + 2)
        #expect(records.last!.value == Array("new".utf8))
        #expect(records[Int(cut.rawValue)].value == payload(Int(cut.rawValue), size: 400))
        // Truncating to before the first record of the log empties it.
        try await reopened.truncate(from: Offset(0))
        #expect(reopened.nextOffset == Offset(0) && reopened.segmentCount == 1)
        await reopened.close()
    }

    @Test func truncateInsideABatchIsRefused() async throws {
        let fixture = LogFixture(.simulated)
        let log = try fixture.open()
        _ = try await log.append(contentsOf: (0..<5).map { Record(value: payload($0)) })
        _ = try await log.append(payload(5))
        await #expect(throws: LogError.truncationInsideBatch(offset: Offset(2), batchFirst: Offset(0), batchLast: Offset(4))) {
            try await log.truncate(after: Offset(2))
        }
        try await log.truncate(after: Offset(4))
        #expect(log.nextOffset == Offset(5))
        // Truncating at or past the end changes nothing.
        try await log.truncate(after: Offset(10))
        #expect(log.nextOffset == Offset(5))
        await log.close()
    }
}
