import Synchronization
import Testing
@testable import IrisLog

/// `Log.sync` as replication uses it on a `.none` log (SPEC.md §7): a sync request holds back
/// no append, is answered once by the fdatasync that covers what was written before it, and
/// the writer keeps at most the unsynced window written and unsynced while syncs are slow.
struct SyncPipelineTests {
    /// Polls `done` every 5 ms, at most `polls` times (at least 20 s of sleeping); returns
    /// whether it became true. Bounded by a count rather than a deadline: in a full test run the
    /// heavy suites beside this one can keep Swift's 2 pool threads busy for tens of seconds.
    private func eventually(polls: Int = 4_000, _ done: () -> Bool) async throws -> Bool {
        for _ in 0..<polls {
            if done() { return true }
            try await Task.sleep(for: .milliseconds(5))
        }
        return done()
    }

    @Test func appendsAfterASyncRequestAreAdmittedWhileItsSyncRuns() async throws {
        let fixture = LogFixture(.simulated) { $0.durability = .none }
        defer { fixture.cleanup() }
        let log = try fixture.open()
        _ = try await log.append(payload(0))
        let disk = fixture.disk!
        disk.holdSyncs(pathSuffix: ".log")
        let answers = Mutex<[LogError?]>([])
        log.sync { error in answers.withLock { $0.append(error) } }

        let appending = Task {
            try await withThrowingTaskGroup(of: Offset.self) { group in
                for index in 1...3 { group.addTask { try await log.append(payload(index)) } }
                return try await group.reduce(into: []) { $0.append($1) }.sorted()
            }
        }
        // Offsets are assigned while the sync is held: the request holds back no admission.
        let admittedWhileHeld = try await eventually { log.lock.withLock { $0.admittedFrames } == 4 }
        let answeredWhileHeld = answers.withLock { $0.count }
        disk.releaseSyncs()
        let offsets = try await appending.value
        #expect(admittedWhileHeld, "appends waited for admission behind the sync requested before them")
        #expect(answeredWhileHeld == 0, "a sync request was answered before its fdatasync ran")
        #expect(offsets == [Offset(1), Offset(2), Offset(3)])

        #expect(try await eventually { answers.withLock { $0.count } == 1 })
        try await Task.sleep(for: .milliseconds(20))
        #expect(answers.withLock { $0 } == [nil], "answered \(answers.withLock { $0 })")
        // What was written before the request survives a power loss now.
        disk.powerLoss(seed: 7)
        await log.close()
        let reopened = try fixture.open()
        #expect(try reopened.readAll().first?.value == payload(0))
        await reopened.close()
    }

    @Test func syncRequestsAmongConcurrentProducersAreEachAnsweredOnceAndCoverWhatWasAdmitted() async throws {
        for seed in UInt64(0)..<5 {
            let fixture = LogFixture(.simulated) { $0.durability = .none; $0.segmentSizeBytes = 64 << 10 }
            defer { fixture.cleanup() }
            let log = try fixture.open()
            let disk = fixture.disk!
            // Each answer records how many frames were admitted when its request was made.
            let answers = Mutex<[(admitted: UInt64, error: LogError?)]>([])
            let producers = Task {
                await withTaskGroup(of: Void.self) { group in
                    for producer in 0..<8 {
                        group.addTask {
                            for index in 0..<40 { _ = try? await log.append(payload(producer * 1000 + index, size: 200)) }
                        }
                    }
                }
            }
            for _ in 0..<30 {
                let admitted = log.lock.withLock { $0.admittedFrames }
                log.sync { error in answers.withLock { $0.append((admitted, error)) } }
                try await Task.sleep(for: .milliseconds(1))
            }
            await producers.value
            #expect(try await eventually { answers.withLock { $0.count } == 30 })
            try await Task.sleep(for: .milliseconds(20))
            let all = answers.withLock { $0 }
            #expect(all.count == 30 && all.allSatisfy { $0.error == nil }, "answers: \(all.count), errors: \(all.filter { $0.error != nil })")
            let covered = Int(all.map(\.admitted).max() ?? 0)
            disk.powerLoss(seed: seed)
            await log.close()
            let reopened = try fixture.open()
            let count = try reopened.readAll().count
            #expect(count >= covered, "\(count) records survived; \(covered) were admitted before an answered request")
            await reopened.close()
        }
    }

    @Test func syncRequestsAmongAppendsAreEachAnsweredOnceAndCoverWhatCameBefore() async throws {
        for seed in UInt64(0)..<5 {
            let fixture = LogFixture(.simulated) { $0.durability = .none; $0.segmentSizeBytes = 64 << 10 }
            defer { fixture.cleanup() }
            let log = try fixture.open()
            let answers = Mutex<[Int: [LogError?]]>([:])
            // A replica's pattern: append, ask for a sync, go on appending without waiting.
            var covered = 0
            for index in 0..<200 {
                _ = try await log.append(Record(value: payload(index, size: 300)))
                if index % 4 == 3 {
                    log.sync { error in answers.withLock { $0[index, default: []].append(error) } }
                }
            }
            #expect(try await eventually { answers.withLock { $0.count } == 50 })
            try await Task.sleep(for: .milliseconds(20))
            let all = answers.withLock { $0 }
            #expect(all.count == 50 && all.values.allSatisfy { $0.count == 1 && $0[0] == nil }, "answers: \(all)")
            covered = (all.keys.max() ?? -1) + 1
            fixture.disk!.powerLoss(seed: seed)
            await log.close()
            let reopened = try fixture.open()
            let values = try reopened.readAll().map(\.value)
            #expect(values.count >= covered)
            #expect(Array(values.prefix(covered)) == (0..<covered).map { payload($0, size: 300) })
            await reopened.close()
        }
    }

    @Test func whileSyncsAreSlowANoneLogWritesNoMoreThanItsUnsyncedWindow() async throws {
        let fixture = LogFixture(.simulated) { configuration in
            configuration.durability = .none
            configuration.writeGroupBytesMax = 16 << 10
            configuration.recordBytesMax = 16 << 10
            configuration.batchBytesMax = 16 << 10
        }
        defer { fixture.cleanup() }
        let log = try fixture.open()
        let window = log.configuration.unsyncedWindowBytes
        let disk = fixture.disk!
        disk.holdSyncs(pathSuffix: ".log")
        let recordBytes = 4 << 10
        let appended = Atomic<Int>(0)
        let total = 4 * window / recordBytes
        let producer = Task {
            for index in 0..<total {
                _ = try await log.append(payload(index, size: recordBytes))
                appended.add(1, ordering: .relaxed)
            }
        }
        let writtenEnd = { log.lock.withLock { $0.segments.last!.summary.dataEnd } }
        // Writing goes on past the point where the background sync was asked for (the old
        // writer synced in line there), and never past the window while that sync is held.
        let wentOn = try await eventually { writtenEnd() > log.configuration.writeGroupBytesMax }
        var mostWritten = writtenEnd()
        for _ in 0..<50 {
            try await Task.sleep(for: .milliseconds(10))
            mostWritten = max(mostWritten, writtenEnd())
        }
        disk.releaseSyncs()
        try await producer.value
        #expect(wentOn, "\(writtenEnd()) bytes written while a sync was held")
        #expect(mostWritten <= window, "\(mostWritten) bytes written unsynced, window \(window)")
        #expect(appended.load(ordering: .relaxed) == total)
        await log.close()
        let reopened = try fixture.open()
        #expect(try reopened.readAll().count == total)
        await reopened.close()
    }

    @Test func aSyncRequestOnAnFsyncLogCoversEveryAppendAdmittedBeforeIt() async throws {
        for seed in UInt64(0)..<5 {
            let fixture = LogFixture(.simulated)
            defer { fixture.cleanup() }
            let log = try fixture.open()
            let disk = fixture.disk!
            let appends = Task {
                await withTaskGroup(of: Void.self) { group in
                    for index in 0..<60 {
                        group.addTask { _ = try? await log.append(payload(index)) }
                    }
                }
            }
            #expect(try await eventually { log.lock.withLock { $0.admittedFrames } >= 10 })
            // Every frame admitted by now comes before the request; cut the power the moment
            // the request is answered, with appends still in flight.
            let admitted = Int(log.lock.withLock { $0.admittedFrames })
            let answered = Mutex<[LogError?]>([])
            log.sync { error in
                disk.powerLoss(seed: seed)
                answered.withLock { $0.append(error) }
            }
            #expect(try await eventually { answered.withLock { $0.count } == 1 })
            await appends.value
            #expect(answered.withLock { $0 } == [nil])
            await log.close()
            let reopened = try fixture.open()
            let count = try reopened.readAll().count
            #expect(count >= admitted, "\(count) records survived; \(admitted) were admitted before the sync request")
            await reopened.close()
        }
    }

    @Test func aSyncFailureAnswersEveryWaitingRequestOnceWithTheError() async throws {
        let fixture = LogFixture(.simulated) { $0.durability = .none }
        defer { fixture.cleanup() }
        let log = try fixture.open()
        _ = try await log.append(payload(0))
        fixture.disk!.failSyncs(.io, pathSuffix: ".log")
        let answers = Mutex<[Int: [LogError?]]>([:])
        for request in 0..<3 {
            _ = try? await log.append(payload(request + 1))
            log.sync { error in answers.withLock { $0[request, default: []].append(error) } }
        }
        #expect(try await eventually { answers.withLock { $0.count } == 3 })
        try await Task.sleep(for: .milliseconds(20))
        let all = answers.withLock { $0 }
        #expect(all.values.allSatisfy { $0.count == 1 && $0[0] != nil }, "answers: \(all)")
        #expect(log.failure != nil)
        await log.close()
    }

    @Test func aSyncRequestedJustBeforeATruncateOrCloseIsAnsweredBeforeEitherReturns() async throws {
        let fixture = LogFixture(.simulated) { $0.durability = .none }
        defer { fixture.cleanup() }
        let log = try fixture.open()
        for index in 0..<10 { _ = try await log.append(payload(index)) }
        let answers = Mutex<[LogError?]>([])
        log.sync { error in answers.withLock { $0.append(error) } }
        try await log.truncate(after: Offset(4))
        #expect(answers.withLock { $0 } == [nil])
        _ = try await log.append(payload(5))
        log.sync { error in answers.withLock { $0.append(error) } }
        await log.close()
        #expect(answers.withLock { $0 } == [nil, nil])
        let reopened = try fixture.open()
        #expect(try reopened.readAll().map(\.value) == (0..<6).map { payload($0) })
        await reopened.close()
    }

    @Test func aLoneAppendOnAnFsyncLogIsDurableWhenItReturnsAndOneSyncEach() async throws {
        for seed in UInt64(0)..<10 {
            let fixture = LogFixture(.simulated) { $0.segmentSizeBytes = 64 << 10 }
            defer { fixture.cleanup() }
            let log = try fixture.open()
            let disk = fixture.disk!
            let count = 5 + Int(seed) * 7
            let syncsBefore = disk.syncCount
            for index in 0..<count { _ = try await log.append(payload(index, size: 2000)) }
            // One fdatasync per append, plus those of segment rolls (each syncs the sealed
            // segment, the new one and the directory) and the checkpoint each roll writes.
            let rolls = log.lock.withLock { $0.segments.count } - 1
            #expect(disk.syncCount - syncsBefore <= count + 4 * rolls, "\(disk.syncCount - syncsBefore) syncs for \(count) appends, \(rolls) rolls")
            disk.powerLoss(seed: seed)
            await log.close()
            let reopened = try fixture.open()
            #expect(try reopened.readAll().map(\.value) == (0..<count).map { payload($0, size: 2000) })
            await reopened.close()
        }
    }
}
