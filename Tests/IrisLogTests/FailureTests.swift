import Testing
@testable import IrisLog

/// Fail-stop behaviour: a write or sync error ends writing for good; reads go on.
struct FailureTests {
    @Test func fsyncErrorMakesTheLogFailStop() async throws {
        let fixture = LogFixture(.simulated)
        let log = try fixture.open()
        for index in 0..<10 { _ = try await log.append(payload(index)) }
        let syncsBefore = fixture.disk!.syncCount
        fixture.disk!.failSyncs(.io, pathSuffix: ".log")
        // Several appends in flight: the group that hit the error gets the I/O error, the rest `.failed`.
        let outcomes = await withTaskGroup(of: LogError?.self) { group in
            for index in 0..<20 {
                group.addTask {
                    do { _ = try await log.append(payload(100 + index)); return nil } catch { return error as? LogError }
                }
            }
            return await group.reduce(into: [LogError?]()) { $0.append($1) }
        }
        #expect(outcomes.allSatisfy { $0 != nil }, "an append was acknowledged without a successful sync")
        #expect(outcomes.contains { if case .io(operation: "fdatasync", _, 5, _) = $0 { true } else { false } })
        // The sync is never retried, even after the fault clears.
        fixture.disk!.failSyncs(nil)
        await #expect(throws: LogError.self) { try await log.append([1]) }
        do { _ = try await log.append([1]) } catch { guard case .failed = error else { Issue.record("got \(error)"); return } }
        #expect(fixture.disk!.syncCount == syncsBefore)
        // Acknowledged records stay readable; nothing unacknowledged is visible.
        #expect(log.nextOffset == Offset(10))
        #expect(try log.readAll().map(\.value) == (0..<10).map { payload($0) })
        await #expect(throws: LogError.self) { try await log.truncate(after: Offset(3)) }
        await log.close()
        // Reopening recovers the acknowledged prefix.
        let reopened = try fixture.open()
        #expect(try reopened.readAll().prefix(10).map(\.value) == (0..<10).map { payload($0) })
        await reopened.close()
    }

    @Test func writeErrorMakesTheLogFailStop() async throws {
        let simulated = LogFixture(.simulated)
        let log = try simulated.open()
        _ = try await log.append([1])
        simulated.disk!.failWrites(.io, pathSuffix: ".log")
        await #expect(throws: LogError.io(operation: "pwrite", path: simulated.path(RecoveryTests.active), errno: 5, message: "input/output error")) {
            try await log.append([2])
        }
        simulated.disk!.failWrites(nil)
        await #expect(throws: LogError.failed(cause: LogError.io(operation: "pwrite", path: simulated.path(RecoveryTests.active), errno: 5, message: "input/output error").description)) {
            try await log.append([3])
        }
        #expect(try log.read(at: Offset(0)).value == [1])
        await log.close()
    }

    @Test func diskFullIsAClearErrorAndLeavesAReadableLog() async throws {
        let fixture = LogFixture(.simulated) { $0.segmentSizeBytes = 64 << 10 }
        let log = try fixture.open()
        // Room for the first segment and a little more: the roll's preallocation runs out.
        fixture.disk!.setCapacity(bytes: fixture.disk!.usedBytes + 20 << 10)
        var acknowledged = 0
        var failure: LogError? = nil
        for index in 0..<1000 {
            do {
                _ = try await log.append(payload(index, size: 400))
                acknowledged += 1
            } catch {
                failure = error
                break
            }
        }
        guard case .noSpace = failure else { Issue.record("expected noSpace, got \(String(describing: failure))"); return }
        #expect(failure!.description.contains("no space left on device"))
        await #expect(throws: LogError.noSpace(path: fixture.path(SegmentFileName.segment(Offset(UInt64(acknowledged)))))) {
            try await log.append([1])
        }
        #expect(try log.readAll().map(\.value) == (0..<acknowledged).map { payload($0, size: 400) })
        await log.close()
        // With space again, the log opens with every acknowledged record.
        fixture.disk!.setCapacity(bytes: Int.max)
        let reopened = try fixture.open()
        #expect(reopened.nextOffset == Offset(UInt64(acknowledged)))
        _ = try await reopened.append([1])
        await reopened.close()
    }
}
