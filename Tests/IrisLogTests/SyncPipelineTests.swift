import Synchronization
import Testing
@testable import IrisLog

/// `Log.sync` as replication uses it on a `.none` log (SPEC.md §7): a sync request holds back
/// no append, is answered once by the fdatasync that covers what was written before it, and
/// the writer keeps at most the unsynced window written and unsynced while syncs are slow.
struct SyncPipelineTests {
    /// Polls `done` every 5 ms for at most `seconds`; returns whether it became true.
    private func eventually(seconds: Int = 10, _ done: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !done() {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    @Test func anAppendAfterASyncRequestIsNotHeldBackByTheSync() async throws {
        let fixture = LogFixture(.simulated) { $0.durability = .none }
        defer { fixture.cleanup() }
        let log = try fixture.open()
        _ = try await log.append(payload(0))
        let disk = fixture.disk!
        disk.holdSyncs(pathSuffix: ".log")
        let answers = Mutex<[LogError?]>([])
        log.sync { error in answers.withLock { $0.append(error) } }

        let second = Mutex<Offset?>(nil)
        let appending = Task {
            let offset = try await log.append(payload(1))
            second.withLock { $0 = offset }
        }
        let appendedWhileHeld = try await eventually { second.withLock { $0 } != nil }
        let answeredWhileHeld = answers.withLock { $0.count }
        disk.releaseSyncs()
        try await appending.value
        #expect(appendedWhileHeld, "the append waited for the sync requested before it")
        #expect(answeredWhileHeld == 0, "a sync request was answered before its fdatasync ran")
        #expect(second.withLock { $0 } == Offset(1))

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
        // The writer stops once the window is full: wait for the first append, then for the
        // count to stay the same for 100 ms (at most 5 s).
        let started = try await eventually { appended.load(ordering: .relaxed) > 0 }
        var heldAt = appended.load(ordering: .relaxed)
        for _ in 0..<50 {
            try await Task.sleep(for: .milliseconds(100))
            let now = appended.load(ordering: .relaxed)
            if now == heldAt { break }
            heldAt = now
        }
        disk.releaseSyncs()
        try await producer.value
        #expect(started && heldAt > 0, "nothing was written while syncs were held")
        #expect(heldAt * recordBytes <= window, "\(heldAt) records of \(recordBytes) bytes written unsynced, window \(window)")
        #expect(appended.load(ordering: .relaxed) == total)
        await log.close()
        let reopened = try fixture.open()
        #expect(try reopened.readAll().count == total)
        await reopened.close()
    }

    @Test func aSyncRequestOnAnFsyncLogIsAnsweredOnceEarlierAppendsAreDurable() async throws {
        let fixture = LogFixture(.simulated)
        defer { fixture.cleanup() }
        let log = try fixture.open()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask { _ = try await log.append(payload(index)) }
            }
            try await group.waitForAll()
        }
        try await log.sync()
        fixture.disk!.powerLoss(seed: 3)
        await log.close()
        let reopened = try fixture.open()
        #expect(try reopened.readAll().count == 20)
        await reopened.close()
    }
}
