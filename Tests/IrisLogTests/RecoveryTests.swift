import Testing
@testable import IrisLog

struct RecoveryTests {
    static let active = SegmentFileName.segment(Offset(0))

    /// Writes `count` single-record frames as a crash would leave them: the last frame is
    /// written but no checkpoint covers it (the checkpoint is put back to before it).
    /// Returns the fixture, closed, and the position of the last frame.
    static func written(_ backend: Backend, count: Int, size: Int = 200,
                        configure: (inout LogConfiguration) -> Void = { _ in }) async throws -> (LogFixture, lastFrame: Int) {
        let fixture = LogFixture(backend, configure: configure)
        let log = try fixture.open()
        for index in 0..<count - 1 { _ = try await log.append(payload(index, size: size)) }
        await log.close()
        let checkpoint = fixture.contents(SegmentFileName.checkpoint)
        let again = try fixture.open()
        _ = try await again.append(payload(count - 1, size: size))
        await again.close()
        fixture.setContents(SegmentFileName.checkpoint, checkpoint)
        return (fixture, frameStarts(fixture.contents(active)).last!)
    }

    /// Start positions of the valid frames of a segment's bytes.
    static func frameStarts(_ bytes: [UInt8]) -> [Int] {
        bytes.withUnsafeBytes { buffer in
            SegmentScan.scan(buffer, expectedOffset: Offset(0), expectedPreviousCRC: 0, frameBytesMax: 1 << 22).frames.map(\.position)
        }
    }

    @Test func tornTailAtEveryBytePositionOfTheLastFrameRecoversTheExactPrefix() async throws {
        let (fixture, lastFrame) = try await Self.written(.simulated, count: 10) { $0.segmentSizeBytes = 64 << 10 }
        let original = fixture.contents(Self.active)
        let checkpoint = fixture.contents(SegmentFileName.checkpoint)
        let frameEnd = lastFrame + Int(original.withUnsafeBytes { ByteCoding.loadUInt32($0, at: lastFrame) })
        // The frame really is the last one: its header names offset 9.
        #expect(original[lastFrame + 16] == 9)
        for cut in lastFrame..<frameEnd {
            // A torn write: the frame's bytes from `cut` on never reached the disk.
            var torn = original
            for position in cut..<frameEnd { torn[position] = 0 }
            // Bytes that were zero anyway (the record's header count is a zero byte): the frame is whole.
            if torn == original { continue }
            fixture.setContents(Self.active, torn)
            fixture.setContents(SegmentFileName.checkpoint, checkpoint)
            let log = try fixture.open()
            #expect(log.nextOffset == Offset(9), "cut at \(cut)")
            // Nothing left of the frame reads as a clean end; any remains are a torn tail there.
            let remains = torn[lastFrame..<frameEnd].contains { $0 != 0 }
            #expect(log.recoveryReport.tornTail?.position == (remains ? lastFrame : nil), "cut at \(cut)")
            #expect(try log.readAll().map(\.value) == (0..<9).map { payload($0, size: 200) })
            // The log keeps working: the next append takes offset 9 and survives reopen.
            #expect(try await log.append([9]) == Offset(9))
            await log.close()
            let reopened = try fixture.open(readOnly: true)
            #expect(reopened.recoveryReport.tornTail == nil && reopened.nextOffset == Offset(10))
        }
    }

    @Test(arguments: Backend.real)
    func tornTailOnARealFileIsCut(backend: Backend) async throws {
        let (fixture, lastFrame) = try await Self.written(backend, count: 30)
        defer { fixture.cleanup() }
        var bytes = fixture.contents(Self.active)
        for position in lastFrame + 100..<lastFrame + 150 { bytes[position] = 0xEE }
        fixture.setContents(Self.active, bytes)
        let log = try fixture.open()
        #expect(log.recoveryReport.tornTail == RecoveryReport.TornTail(segment: Self.active, position: lastFrame, discardedBytes: bytes[lastFrame...].filter { $0 != 0 }.count))
        #expect(log.nextOffset == Offset(29))
        await log.close()
    }

    @Test func aFlippedBitInSyncedDataIsReportedAndNeverServed() async throws {
        let (fixture, _) = try await Self.written(.simulated, count: 40)
        // Frame 5 lies well before the checkpoint's synced position (the close checkpointed the end).
        let framePosition = Self.frameStarts(fixture.contents(Self.active))[5]
        fixture.disk!.flipBit(path: fixture.path(Self.active), position: framePosition + 60, bit: 3)
        #expect(throws: LogError.corruptFrame(segment: fixture.path(Self.active), position: framePosition,
                                              reason: "CRC mismatch")) {
            do { _ = try fixture.open() } catch let error as LogError { throw Self.normalised(error) }
        }
        // Read-only: the valid prefix is served, the corruption reported, nothing past it.
        let readOnly = try fixture.open(readOnly: true)
        #expect(readOnly.nextOffset == Offset(5))
        #expect(try readOnly.readAll().map(\.value) == (0..<5).map { payload($0, size: 200) })
        guard case .corruptFrame(_, framePosition, _) = readOnly.recoveryReport.corruption else {
            Issue.record("expected corruption at \(framePosition), got \(String(describing: readOnly.recoveryReport.corruption))"); return
        }
    }

    /// Keeps the kind and place of a corruption error, dropping the computed CRC values.
    static func normalised(_ error: LogError) -> LogError {
        if case .corruptFrame(let segment, let position, let reason) = error, reason.hasPrefix("CRC mismatch") {
            return .corruptFrame(segment: segment, position: position, reason: "CRC mismatch")
        }
        return error
    }

    @Test func aBitFlipInASealedSegmentFailsTheReadThatMeetsIt() async throws {
        let fixture = LogFixture(.simulated) { $0.segmentSizeBytes = 64 << 10 }
        let log = try fixture.open()
        for index in 0..<400 { _ = try await log.append(payload(index, size: 500)) }
        #expect(log.segmentCount > 2)
        // Damage a record of the first (sealed) segment while the log is open.
        fixture.disk!.flipBit(path: fixture.path(Self.active), position: 3000)
        var failed: LogError? = nil
        do { _ = try log.readAll() } catch { failed = error }
        guard case .corruptFrame(let segment, _, _) = failed else { Issue.record("read served damaged data"); return }
        #expect(segment == Self.active)
        // Records elsewhere remain readable.
        #expect(try log.read(at: Offset(399)).value == payload(399, size: 500))
        await log.close()
    }

    @Test(arguments: ["delete", "garble", "truncate", "stale"])
    func aMissingOrInconsistentIndexIsRebuilt(damage: String) async throws {
        let fixture = LogFixture(.simulated) { $0.segmentSizeBytes = 64 << 10 }
        let log = try fixture.open()
        for index in 0..<400 { _ = try await log.append(payload(index, size: 500)) }
        await log.close()
        let indexName = SegmentFileName.index(Offset(0))
        var bytes = fixture.contents(indexName)
        switch damage {
        case "delete": fixture.remove(indexName)
        case "garble": bytes[8] ^= 0xFF; fixture.setContents(indexName, bytes)
        case "truncate": fixture.setContents(indexName, Array(bytes.prefix(20)))
        default:
            // A well-formed index that disagrees with the log: entries point at wrong positions.
            var index = OffsetIndex(baseOffset: Offset(0), intervalBytes: 4096)
            index.frameWritten(baseOffset: Offset(3), position: 4104)
            let summary = IndexFile.decode(bytes, baseOffset: Offset(0), intervalBytes: 4096)!.1
            var wrong = summary
            wrong.nextOffset = wrong.nextOffset.advanced(by: 5)
            fixture.setContents(indexName, IndexFile.encode(index, summary: wrong))
        }
        let reopened = try fixture.open()
        #expect(reopened.recoveryReport.rebuiltIndexes == [indexName])
        #expect(try reopened.readAll().map(\.value) == (0..<400).map { payload($0, size: 500) })
        await reopened.close()
        #expect(IndexFile.decode(fixture.contents(indexName), baseOffset: Offset(0), intervalBytes: 4096) != nil)
    }
}

extension RecoveryTests {
    /// SPEC.md §6.1: opening reads the active segment only through its frames plus the unsynced
    /// window; bytes further away cannot be a torn write and do not stop the log.
    @Test func openReadsTheActiveSegmentOnlyThroughTheUnsyncedWindow() async throws {
        let fixture = LogFixture(.simulated) {
            $0.segmentSizeBytes = 16 << 20
            $0.batchBytesMax = 64 << 10
            $0.recordBytesMax = 64 << 10
        }
        let log = try fixture.open()
        for index in 0..<100 { _ = try await log.append(payload(index, size: 1000)) }
        await log.close()
        // Stray bytes 8 MiB past the data, beyond the 2 MiB window.
        var bytes = fixture.contents(Self.active)
        bytes[8 << 20] = 0x5A
        fixture.setContents(Self.active, bytes)

        let reopened = try fixture.open()
        #expect(reopened.recoveryReport.tornTail == nil && reopened.recoveryReport.corruption == nil)
        #expect(reopened.recoveryReport.scannedBytes < 4 << 20)
        #expect(try reopened.readAll().map(\.value) == (0..<100).map { payload($0, size: 1000) })
        _ = try await reopened.append([1])
        await reopened.close()

        // Within the window the same stray byte is the remains of a torn write: it is cut.
        var near = fixture.contents(Self.active)
        near[8 << 20] = 0
        let end = Self.frameStarts(near).last! + 64
        near[end + 4096] = 0x5A
        fixture.setContents(Self.active, near)
        let cut = try fixture.open()
        #expect(cut.recoveryReport.tornTail != nil)
        #expect(cut.nextOffset == Offset(101))
        await cut.close()
    }
}
