import Synchronization
import Testing
@testable import IrisLog

/// `sync(then:)`: the completion form of `sync()` the replica driver uses; answered exactly once,
/// after the data is durable, or with the error that stops the log.
struct SyncCompletionTests {
    /// Calls `sync(then:)` and waits (bounded) for its one answer.
    private func syncAnswer(_ log: Log) async throws -> LogError? {
        let answers = Mutex<[LogError?]>([])
        log.sync { error in answers.withLock { $0.append(error) } }
        let deadline = ContinuousClock.now + .seconds(10)
        while answers.withLock({ $0.isEmpty }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        try await Task.sleep(for: .milliseconds(20))
        let all = answers.withLock { $0 }
        try #require(all.count == 1, "answered \(all.count) times")
        return all[0]
    }

    @Test func aSyncThenAnswersOnceWhenWhatWasWrittenSurvivesPowerLoss() async throws {
        for seed in UInt64(0)..<20 {
            let fixture = LogFixture(.simulated) { $0.durability = .none; $0.segmentSizeBytes = 64 << 10 }
            let log = try fixture.open()
            for index in 0..<30 { _ = try await log.append(Record(value: payload(index, size: 100))) }
            let syncs = fixture.disk!.syncCount
            #expect(try await syncAnswer(log) == nil)
            #expect(fixture.disk!.syncCount > syncs)
            fixture.disk!.powerLoss(seed: seed)
            await log.close()
            let reopened = try fixture.open()
            #expect(try reopened.readAll().map(\.value) == (0..<30).map { payload($0, size: 100) })
            await reopened.close()
        }
    }

    @Test func aFailedSyncThenReportsTheErrorAndStopsTheLog() async throws {
        let fixture = LogFixture(.simulated) { $0.durability = .none }
        let log = try fixture.open()
        _ = try await log.append(payload(1))
        fixture.disk!.failSyncs(.io, pathSuffix: ".log")
        let error = try await syncAnswer(log)
        #expect({ if case .failed(let cause) = error { cause.contains("fdatasync") && cause.contains("errno 5") } else { false } }(),
                "got \(String(describing: error))")
        // Never retried: the log has stopped, and a later sync is refused at once.
        fixture.disk!.failSyncs(nil)
        let syncs = fixture.disk!.syncCount
        let later = try await syncAnswer(log)
        #expect({ if case .failed = later { true } else { false } }(), "got \(String(describing: later))")
        #expect(fixture.disk!.syncCount == syncs)
        await log.close()
    }

    @Test func aSyncThenOnAClosedLogIsRefused() async throws {
        let fixture = LogFixture(.simulated) { $0.durability = .none }
        let log = try fixture.open()
        _ = try await log.append(payload(1))
        await log.close()
        #expect(try await syncAnswer(log) == .closed)
    }
}
