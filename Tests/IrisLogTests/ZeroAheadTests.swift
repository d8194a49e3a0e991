import Testing
@testable import IrisLog

/// Zero-ahead (SPEC.md §2.1): the writer writes zeroes ahead of its data, so most syncs cover
/// overwrites of written blocks and commit no extent conversion; readers and recovery see the
/// same bytes as before.
struct ZeroAheadTests {
    /// Appends `count` records of 1 KiB one at a time (each alone, so each is its own group and
    /// sync) and returns the disk's syncs and metadata syncs meanwhile.
    private func loneAppends(count: Int, zeroAheadBytes: Int) async throws -> (syncs: Int, metadataSyncs: Int, records: [LogRecord]) {
        let fixture = LogFixture(.simulated) { $0.zeroAheadBytes = zeroAheadBytes }
        defer { fixture.cleanup() }
        let log = try fixture.open()
        let disk = fixture.disk!
        let (syncs, metadataSyncs) = (disk.syncCount, disk.metadataSyncCount)
        for index in 0..<count { _ = try await log.append(payload(index, size: 1000)) }
        let counts = (disk.syncCount - syncs, disk.metadataSyncCount - metadataSyncs)
        let records = try log.readAll()
        await log.close()
        return (counts.0, counts.1, records)
    }

    @Test func loneAppendsCommitMetadataOncePerZeroedStretchNotOncePerSync() async throws {
        // 2,500 KiB over 1 MiB segments: two rolls on the way.
        let count = 2_500
        let ahead = try await loneAppends(count: count, zeroAheadBytes: 256 << 10)
        let off = try await loneAppends(count: count, zeroAheadBytes: 0)
        #expect(ahead.records.map(\.value) == (0..<count).map { payload($0, size: 1000) })
        #expect(off.records.map(\.value) == ahead.records.map(\.value))
        // Without zero-ahead every group lands in unwritten space.
        #expect(off.metadataSyncs >= count, "off: \(off)")
        // With it: one per 128 KiB of data (half the lead), plus each roll's own metadata syncs.
        #expect(ahead.syncs >= count)
        #expect(ahead.metadataSyncs <= count / 40, "ahead: \(ahead.syncs) syncs, \(ahead.metadataSyncs) with metadata")
    }

    @Test func groupsOfHalfTheLeadOrMoreWriteNoZeroes() async throws {
        // One producer, so each append is a group of its own. Data bytes written: the frames;
        // everything else the disk saw is checkpoints and zeroes.
        func written(recordBytes: Int) async throws -> (data: Int, all: Int) {
            let fixture = LogFixture(.simulated) { $0.segmentSizeBytes = 4 << 20; $0.zeroAheadBytes = 64 << 10 }
            defer { fixture.cleanup() }
            let log = try fixture.open()
            let disk = fixture.disk!
            let before = disk.writtenBytes
            for index in 0..<100 { _ = try await log.append(payload(index, size: recordBytes)) }
            let all = disk.writtenBytes - before
            let data = try log.readAll().reduce(0) { $0 + $1.value.count }
            await log.close()
            return (data, all)
        }
        // 40 KiB groups (more than half of 64 KiB): data plus small change, no zeroes.
        let large = try await written(recordBytes: 40 << 10)
        #expect(large.all < large.data + large.data / 20, "large groups: \(large)")
        // 8 KiB groups: zeroes keep 64 KiB ahead, so the disk sees about twice the data.
        let small = try await written(recordBytes: 8 << 10)
        #expect(small.all > small.data + small.data / 2, "small groups: \(small)")
    }

    @Test func afterATruncationZeroAheadStartsAgainFromTheCut() async throws {
        let fixture = LogFixture(.simulated) { $0.zeroAheadBytes = 64 << 10 }
        defer { fixture.cleanup() }
        let log = try fixture.open()
        let disk = fixture.disk!
        for index in 0..<300 { _ = try await log.append(payload(index, size: 1000)) }
        // The cut frees ~200 KiB that truncation preallocates again: unwritten, not zeroed.
        try await log.truncate(from: Offset(100))
        let metadataSyncs = disk.metadataSyncCount
        for index in 0..<400 { _ = try await log.append(payload(index, size: 1000)) }
        let after = disk.metadataSyncCount - metadataSyncs
        #expect(after <= 20, "\(after) of 400 lone appends after the truncation committed metadata")
        #expect(try log.readAll().count == 500)
        await log.close()
    }

    @Test func zeroesNeverCoverDataAcrossRollsTruncationAndReopen() async throws {
        let fixture = LogFixture(.simulated) { $0.segmentSizeBytes = 64 << 10; $0.zeroAheadBytes = 16 << 10 }
        defer { fixture.cleanup() }
        var expected: [[UInt8]] = []
        var log = try fixture.open()
        var random = SplitMix64(seed: 11)
        for round in 0..<3 {
            // Groups of different sizes, some together, some alone.
            for burst in 0..<60 {
                let sizes = (0..<Int(random.next() % 6 + 1)).map { _ in Int(random.next() % 3000) }
                let base = round * 10_000 + burst * 10
                let values = sizes.enumerated().map { payload(base + $0.offset, size: $0.element) }
                let current = log
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for value in values { group.addTask { _ = try await current.append(value) } }
                    try await group.waitForAll()
                }
                expected += values
            }
            // Concurrent appends land in any order: compare as stored, then cut back a third.
            let stored = try log.readAll()
            #expect(stored.map(\.value).sorted { $0.lexicographicallyPrecedes($1) } == expected.sorted { $0.lexicographicallyPrecedes($1) })
            let all = stored.map(\.value)
            // Each append is one frame of one record, so any offset starts a frame.
            let cut = all.count * 2 / 3
            try await log.truncate(from: Offset(UInt64(cut)))
            expected = Array(all.prefix(cut))
            await log.close()
            log = try fixture.open()
            #expect(try log.readAll().map(\.value) == expected, "round \(round)")
        }
        await log.close()
    }
}
