import Testing
import IrisLog
@testable import IrisLogSimulation

/// The power-loss checker is not vacuous: a log that differs from what the model allows in
/// any of the ways the simulation looks for (durable record lost, record resurrected after a
/// completed truncation, bytes nobody wrote, retention beyond what was asked) is reported.
struct LogModelTests {
    /// A log on a fresh simulated disk holding records 0..<6 in three frames, durable, and a
    /// model that knows it.
    static func logAndModel() async throws -> (Log, LogModel, () throws -> Log) {
        var configuration = LogConfiguration()
        configuration.ioBackend = .simulated(SimulatedDisk())
        configuration.durability = .none
        configuration.segmentSizeBytes = 64 << 10
        configuration.batchBytesMax = 16 << 10
        configuration.recordBytesMax = 16 << 10
        let open = { try Log.open(directory: "/log", configuration: configuration) }
        let log = try open()
        var model = LogModel()
        for frame in 0..<3 {
            let values = (0..<2).map { RecordValue.make(writer: 1, sequence: frame, kind: UInt8($0), size: 10) }
            model.willWrite(values, at: model.next)
            let range = try await log.append(contentsOf: values.map { Record(value: $0) })
            model.appended(values, at: range.lowerBound)
        }
        try await log.sync()
        model.madeDurable()
        return (log, model, open)
    }

    static func reopen(_ log: Log, _ open: () throws -> Log) async throws -> Log {
        await log.close()
        return try open()
    }

    @Test func aFaithfulLogPasses() async throws {
        var (log, model, open) = try await Self.logAndModel()
        let reopened = try await Self.reopen(log, open)
        let (violation, checked) = model.checkRecovered(reopened)
        #expect(violation == nil && checked == 6)
        await reopened.close()
    }

    @Test func aLostDurableRecordIsReported() async throws {
        var (log, model, open) = try await Self.logAndModel()
        try await log.truncate(from: Offset(4))
        let reopened = try await Self.reopen(log, open)
        #expect(model.checkRecovered(reopened).violation?.contains("durable offset 4 lost") == true)
        await reopened.close()
    }

    @Test func aRecordResurrectedAfterACompletedTruncationIsReported() async throws {
        var (log, model, open) = try await Self.logAndModel()
        model.truncated(from: Offset(4))
        let reopened = try await Self.reopen(log, open)
        #expect(model.checkRecovered(reopened).violation?.contains("offset 4 holds a record not written at this offset") == true)
        await reopened.close()
    }

    @Test func bytesNobodyWroteAreReported() async throws {
        var (log, model, open) = try await Self.logAndModel()
        _ = try await log.append([9, 9, 9])
        let reopened = try await Self.reopen(log, open)
        #expect(model.checkRecovered(reopened).violation?.contains("offset 6 holds bytes nobody wrote") == true)
        await reopened.close()
    }

    @Test func anInterruptedTruncationMayTakeEffectButNotBeyondItsCut() async throws {
        var (log, model, open) = try await Self.logAndModel()
        model.truncationInterrupted(from: Offset(4))
        try await log.truncate(from: Offset(4))
        var reopened = try await Self.reopen(log, open)
        #expect(model.checkRecovered(reopened).violation == nil)

        (log, model, open) = try await Self.logAndModel()
        model.truncationInterrupted(from: Offset(4))
        try await log.truncate(from: Offset(2))
        reopened = try await Self.reopen(log, open)
        #expect(model.checkRecovered(reopened).violation?.contains("durable offset 2 lost") == true)
        await reopened.close()
    }
}
