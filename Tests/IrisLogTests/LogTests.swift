import Testing
@testable import IrisLog

/// The engine's contract, run on every backend.
struct LogTests {
    @Test(arguments: Backend.allCases)
    func appendedRecordsReadBackExactly(backend: Backend) async throws {
        let fixture = LogFixture(backend)
        defer { fixture.cleanup() }
        let log = try fixture.open()
        #expect(log.firstOffset == Offset(0) && log.nextOffset == Offset(0))
        #expect(try log.read(from: Offset(0)).isEmpty)
        for index in 0..<50 {
            #expect(try await log.append(payload(index)) == Offset(UInt64(index)))
        }
        let batch = try await log.append(contentsOf: FormatTests.sampleRecords)
        #expect(batch == Offset(50)...Offset(53))
        let records = try log.readAll()
        #expect(records.count == 54)
        for index in 0..<50 { #expect(records[index].value == payload(index)) }
        #expect(records[51].key == FormatTests.sampleRecords[1].key)
        #expect(records[52].headers == FormatTests.sampleRecords[2].headers)
        #expect(try log.read(at: Offset(17)).value == payload(17))
        await log.close()
    }

    @Test(arguments: Backend.allCases)
    func segmentsRollAndEverythingSurvivesReopen(backend: Backend) async throws {
        let fixture = LogFixture(backend) { $0.segmentSizeBytes = 64 << 10; $0.compression = .zstd; $0.batchBytesMax = 16 << 10; $0.recordBytesMax = 16 << 10 }
        defer { fixture.cleanup() }
        let log = try fixture.open()
        for index in 0..<600 { _ = try await log.append(payload(index, size: 100 + index % 500)) }
        #expect(log.segmentCount > 3)
        await log.close()
        #expect(fixture.exists(SegmentFileName.index(Offset(0))))

        let reopened = try fixture.open()
        #expect(reopened.recoveryReport.tornTail == nil)
        #expect(reopened.recoveryReport.rebuiltIndexes.isEmpty)
        #expect(reopened.nextOffset == Offset(600))
        let records = try reopened.readAll()
        #expect(records.map(\.value) == (0..<600).map { payload($0, size: 100 + $0 % 500) })
        // Appends continue the sequence and the chain after reopen.
        #expect(try await reopened.append(payload(600)) == Offset(600))
        await reopened.close()
        let again = try fixture.open()
        #expect(try again.read(at: Offset(600)).value == payload(600))
        await again.close()
    }

    @Test(arguments: Backend.allCases)
    func thousandsOfConcurrentProducersGetUniqueIncreasingOffsets(backend: Backend) async throws {
        let fixture = LogFixture(backend) { $0.segmentSizeBytes = 256 << 10 }
        defer { fixture.cleanup() }
        let log = try fixture.open()
        let producers = 2000
        let perProducer = 5
        let results = try await withThrowingTaskGroup(of: (Int, [Offset]).self) { group in
            for producer in 0..<producers {
                group.addTask {
                    var offsets: [Offset] = []
                    for sequence in 0..<perProducer {
                        offsets.append(try await log.append(Array("\(producer)/\(sequence)".utf8)))
                    }
                    return (producer, offsets)
                }
            }
            var all: [Int: [Offset]] = [:]
            for try await (producer, offsets) in group { all[producer] = offsets }
            return all
        }
        var seen = Set<Offset>()
        for (producer, offsets) in results {
            // Each producer waits for durability before its next append, so its offsets increase.
            #expect(offsets == offsets.sorted() && Set(offsets).count == offsets.count)
            for (sequence, offset) in offsets.enumerated() {
                #expect(seen.insert(offset).inserted, "offset \(offset) handed out twice")
                #expect(try log.read(at: offset).value == Array("\(producer)/\(sequence)".utf8))
            }
        }
        #expect(seen.count == producers * perProducer)
        #expect(log.nextOffset == Offset(UInt64(producers * perProducer)))
        await log.close()
    }

    @Test(arguments: Backend.real)
    func followingTheTailSeesEveryRecordInOrder(backend: Backend) async throws {
        let fixture = LogFixture(backend)
        defer { fixture.cleanup() }
        let log = try fixture.open()
        _ = try await log.append(payload(0))
        let follower = Task {
            var values: [[UInt8]] = []
            for try await record in log.follow(from: Offset(0)) {
                values.append(record.value)
                if values.count == 200 { break }
            }
            return values
        }
        for index in 1..<200 { _ = try await log.append(payload(index)) }
        #expect(try await follower.value == (0..<200).map { payload($0) })

        // A follower waiting at the end finishes when the log closes.
        let waiting = Task { () throws -> Int in
            var count = 0
            for try await _ in log.follow() { count += 1 }
            return count
        }
        try await Task.sleep(for: .milliseconds(50))
        await log.close()
        #expect(try await waiting.value == 0)
    }

    @Test func cancellingAFollowerEndsIt() async throws {
        let fixture = LogFixture(.simulated)
        let log = try fixture.open()
        let follower = Task { () throws -> Int in
            var count = 0
            for try await _ in log.follow() { count += 1 }
            return count
        }
        try await Task.sleep(for: .milliseconds(20))
        follower.cancel()
        #expect(try await follower.value == 0)
        await log.close()
    }

    @Test func rangeReadsRespectTheByteLimitButAlwaysMakeProgress() async throws {
        let fixture = LogFixture(.simulated)
        let log = try fixture.open()
        for index in 0..<20 { _ = try await log.append(payload(index, size: 1000)) }
        let limited = try log.read(from: Offset(3), maxBytes: 2500)
        #expect(limited.map(\.offset) == [Offset(3), Offset(4), Offset(5)])
        let one = try log.read(from: Offset(7), maxBytes: 1)
        #expect(one.map(\.offset) == [Offset(7)])
        #expect(try log.read(from: Offset(20)).isEmpty)
        await log.close()
    }

    @Test func badArgumentsAreTypedErrors() async throws {
        let fixture = LogFixture(.simulated) { $0.recordBytesMax = 1000; $0.batchBytesMax = 4000 }
        let log = try fixture.open()
        await #expect(throws: LogError.recordTooLarge(bytes: 1001, max: 1000)) { try await log.append([UInt8](repeating: 1, count: 1001)) }
        await #expect(throws: LogError.emptyBatch) { try await log.append(contentsOf: []) }
        let batch = (0..<5).map { _ in Record(value: [UInt8](repeating: 1, count: 900)) }
        await #expect(throws: LogError.recordTooLarge(bytes: 4500, max: 4000)) { try await log.append(contentsOf: batch) }
        _ = try await log.append([1])
        #expect(throws: LogError.offsetOutOfRange(requested: Offset(5), first: Offset(0), next: Offset(1))) { try log.read(at: Offset(5)) }
        #expect(throws: LogError.offsetOutOfRange(requested: Offset(1), first: Offset(0), next: Offset(1))) { try log.read(at: Offset(1)) }
        // A second writer on the same directory is refused.
        #expect(throws: LogError.locked(directory: fixture.directory)) { try fixture.open() }
        await log.close()
        await #expect(throws: LogError.closed) { try await log.append([2]) }
        // Closed reads still work; the lock is released.
        #expect(try log.read(at: Offset(0)).value == [1])
        let reopened = try fixture.open()
        await reopened.close()
    }

    @Test func invalidConfigurationIsRejectedWithAReason() {
        var configuration = LogConfiguration()
        configuration.segmentSizeBytes = 1000
        #expect(throws: LogError.invalidConfiguration("segmentSizeBytes must be between 64 KiB and 1 GiB")) { try configuration.validate() }
        configuration = LogConfiguration()
        configuration.appendQueueBytesMax = 1000
        #expect(throws: LogError.invalidConfiguration("appendQueueBytesMax must hold at least one largest frame")) { try configuration.validate() }
        configuration = LogConfiguration()
        configuration.batchBytesMax = 10
        #expect(throws: LogError.invalidConfiguration("batchBytesMax must be at least recordBytesMax")) { try configuration.validate() }
        for zeroAhead in [-1, (1 << 30) + 1] {
            configuration = LogConfiguration()
            configuration.zeroAheadBytes = zeroAhead
            #expect(throws: LogError.invalidConfiguration("zeroAheadBytes must be between 0 and 1 GiB")) { try configuration.validate() }
        }
        #expect(throws: Never.self) { try LogConfiguration().validate() }
    }

    @Test func aFullQueuePushesBackInsteadOfGrowing() async throws {
        // A tiny queue: producers must wait for groups to become durable.
        let fixture = LogFixture(.simulated) { $0.appendQueueBytesMax = 8 << 10; $0.batchBytesMax = 2 << 10; $0.recordBytesMax = 2 << 10 }
        let log = try fixture.open()
        let peak = try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<300 { group.addTask { _ = try await log.append(payload(index, size: 1000)) } }
            var peak = 0
            for _ in 0..<300 {
                try await group.next()
                peak = max(peak, log.lock.withLock { $0.admittedBytes })
            }
            return peak
        }
        #expect(peak <= 8 << 10)
        #expect(try log.readAll().count == 300)
        await log.close()
    }

    @Test func noneDurabilityAcknowledgesAndStillSyncsByTheWindow() async throws {
        let fixture = LogFixture(.simulated) { $0.durability = .none; $0.writeGroupBytesMax = 4096 }
        let log = try fixture.open()
        let syncsBefore = fixture.disk!.syncCount
        for index in 0..<100 { _ = try await log.append(payload(index, size: 500)) }
        let syncs = fixture.disk!.syncCount - syncsBefore
        // One sync per ~4 KiB, far fewer than one per append.
        #expect(syncs > 5 && syncs < 50)
        await log.close()
        let reopened = try fixture.open()
        #expect(reopened.nextOffset == Offset(100))
        await reopened.close()
    }
}
