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

    /// A write of the last frame cut short, as a disk does it: each 512-byte sector the frame
    /// touches persisted or not. Every combination short of all is a torn tail and is cut to
    /// the exact prefix; losing all of it is a clean end.
    @Test func everyCombinationOfLostSectorsOfTheLastFrameIsATornTail() async throws {
        let (fixture, lastFrame) = try await Self.written(.simulated, count: 10, size: 1200) { $0.segmentSizeBytes = 64 << 10 }
        let original = fixture.contents(Self.active)
        let checkpoint = fixture.contents(SegmentFileName.checkpoint)
        let frameEnd = lastFrame + Int(original.withUnsafeBytes { ByteCoding.loadUInt32($0, at: lastFrame) })
        #expect(original[lastFrame + 16] == 9)
        // The frame's pieces between sector boundaries.
        let starts = [lastFrame] + Array(stride(from: (lastFrame / 512 + 1) * 512, to: frameEnd, by: 512))
        let pieces = starts.map { $0..<min(frameEnd, ($0 / 512 + 1) * 512) }
        #expect(pieces.count >= 3)
        for lost in 1..<(1 << pieces.count) {
            var damaged = original
            for (number, piece) in pieces.enumerated() where lost & (1 << number) != 0 {
                for position in piece { damaged[position] = 0 }
            }
            fixture.setContents(Self.active, damaged)
            fixture.setContents(SegmentFileName.checkpoint, checkpoint)
            let log = try fixture.open()
            #expect(log.nextOffset == Offset(9), "lost \(lost)")
            let everything = lost == (1 << pieces.count) - 1
            #expect(log.recoveryReport.tornTail?.position == (everything ? nil : lastFrame), "lost \(lost)")
            #expect(try log.readAll().map(\.value) == (0..<9).map { payload($0, size: 1200) })
            // The log keeps working: the next append takes offset 9 and survives reopen.
            #expect(try await log.append([9]) == Offset(9))
            await log.close()
            let reopened = try fixture.open(readOnly: true)
            #expect(reopened.recoveryReport.tornTail == nil && reopened.nextOffset == Offset(10))
        }
    }

    /// Zeroes that end the frame inside its last sector, leaving part of every sector written,
    /// are not what a torn write leaves (sectors persist whole): the open refuses them rather
    /// than cut records that may be acknowledged, and read-only serves the prefix.
    @Test func zeroesThatNoLostSectorExplainsAreRefused() async throws {
        let (fixture, lastFrame) = try await Self.written(.simulated, count: 10, size: 1200) { $0.segmentSizeBytes = 64 << 10 }
        let original = fixture.contents(Self.active)
        let checkpoint = fixture.contents(SegmentFileName.checkpoint)
        let frameEnd = lastFrame + Int(original.withUnsafeBytes { ByteCoding.loadUInt32($0, at: lastFrame) })
        let lastSector = ((frameEnd - 1) / 512) * 512
        #expect(lastSector > lastFrame)
        var refused = 0
        for cut in lastSector + 1..<frameEnd {
            var damaged = original
            for position in cut..<frameEnd { damaged[position] = 0 }
            if damaged[lastSector..<frameEnd].allSatisfy({ $0 == 0 }) || damaged == original { continue }
            fixture.setContents(Self.active, damaged)
            fixture.setContents(SegmentFileName.checkpoint, checkpoint)
            #expect(throws: LogError.self, "cut at \(cut)") { _ = try fixture.open() }
            let readOnly = try fixture.open(readOnly: true)
            #expect(readOnly.nextOffset == Offset(9), "cut at \(cut)")
            guard case .corruptFrame(_, lastFrame, _) = readOnly.recoveryReport.corruption else {
                Issue.record("cut at \(cut): expected corruption at \(lastFrame)"); continue
            }
            refused += 1
        }
        #expect(refused > 100)
    }

    @Test(arguments: Backend.real)
    func tornTailOnARealFileIsCut(backend: Backend) async throws {
        let (fixture, lastFrame) = try await Self.written(backend, count: 30, size: 1500)
        defer { fixture.cleanup() }
        let original = fixture.contents(Self.active)
        // The first sector the frame touches was lost, the later ones landed.
        var bytes = original
        for position in lastFrame..<(lastFrame / 512 + 1) * 512 { bytes[position] = 0 }
        fixture.setContents(Self.active, bytes)
        let log = try fixture.open()
        #expect(log.recoveryReport.tornTail == RecoveryReport.TornTail(segment: Self.active, position: lastFrame, discardedBytes: bytes[lastFrame...].filter { $0 != 0 }.count))
        #expect(log.nextOffset == Offset(29))
        await log.close()
    }

    /// The damage found by trying `iris-log` as a new user: garbage over the last frame, with
    /// no checkpoint at all, is not a torn write and is never cut.
    @Test(arguments: Backend.real)
    func garbageOverTheLastFrameIsRefusedEvenWithoutACheckpoint(backend: Backend) async throws {
        let (fixture, lastFrame) = try await Self.written(backend, count: 30, size: 1500)
        defer { fixture.cleanup() }
        var bytes = fixture.contents(Self.active)
        for position in lastFrame + 100..<lastFrame + 150 { bytes[position] = 0xEE }
        fixture.setContents(Self.active, bytes)
        fixture.remove(SegmentFileName.checkpoint)
        #expect(throws: LogError.self) { _ = try fixture.open() }
        #expect(fixture.contents(Self.active) == bytes)
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
            let summary = try IndexFile.decode(bytes, baseOffset: Offset(0), intervalBytes: 4096).1
            var wrong = summary
            wrong.nextOffset = wrong.nextOffset.advanced(by: 5)
            fixture.setContents(indexName, IndexFile.encode(index, summary: wrong))
        }
        let reopened = try fixture.open()
        #expect(reopened.recoveryReport.rebuiltIndexes == [indexName])
        #expect(try reopened.readAll().map(\.value) == (0..<400).map { payload($0, size: 500) })
        await reopened.close()
        #expect((try? IndexFile.decode(fixture.contents(indexName), baseOffset: Offset(0), intervalBytes: 4096)) != nil)
    }
}

extension RecoveryTests {
    /// The correctness review's first suspicion (§2): a zeroed stretch of at least the unsynced
    /// window inside data the checkpoint does not yet cover. The frames seem to end cleanly
    /// there, but data follows the zeroes: corruption, never a silent end of the log.
    @Test func dataAfterAZeroedStretchIsCorruptionNotACleanEnd() async throws {
        let fixture = LogFixture(.simulated) {
            $0.segmentSizeBytes = 16 << 20
            $0.writeGroupBytesMax = 4096
            $0.batchBytesMax = 2048
            $0.recordBytesMax = 2048
        }
        let window = fixture.configuration.unsyncedWindowBytes
        let empty = try fixture.open()
        await empty.close()
        let staleCheckpoint = fixture.contents(SegmentFileName.checkpoint)
        let log = try fixture.open()
        for index in 0..<100 { _ = try await log.append(payload(index, size: 1000)) }
        await log.close()
        let bytes = fixture.contents(Self.active)
        // Stray bytes 8 MiB past the data.
        var stray = bytes
        stray[8 << 20] = 0x5A
        fixture.setContents(Self.active, stray)
        #expect(throws: LogError.self) { _ = try fixture.open() }
        // More than a window of zeroes in the middle of the data, the checkpoint from before it.
        let starts = Self.frameStarts(bytes)
        var zeroed = bytes
        for position in starts[20]..<starts[20] + window + 4096 { zeroed[position] = 0 }
        #expect(starts[20] + window + 4096 < starts[99])
        fixture.setContents(Self.active, zeroed)
        fixture.setContents(SegmentFileName.checkpoint, staleCheckpoint)
        #expect(throws: LogError.self) { _ = try fixture.open() }
        // Clean again: it opens and reads everything; the bytes after the data are only checked.
        fixture.setContents(Self.active, bytes)
        let reopened = try fixture.open()
        #expect(reopened.recoveryReport.tornTail == nil && reopened.recoveryReport.corruption == nil)
        #expect(reopened.recoveryReport.scannedBytes < 4 << 20)
        #expect(try reopened.readAll().map(\.value) == (0..<100).map { payload($0, size: 1000) })
        await reopened.close()
    }

    /// The review's second suspicion: a checkpoint (valid CRC) declaring an unsynced window no
    /// writer uses would turn damage anywhere into a "torn tail". It is refused as corrupt.
    @Test func aCheckpointWithAnImplausibleWindowIsRefused() async throws {
        let (fixture, _) = try await Self.written(.simulated, count: 10)
        var checkpoint = try #require(Checkpoint.decode(file: fixture.contents(SegmentFileName.checkpoint)))
        checkpoint.sequence += 1
        checkpoint.syncedPosition = 0
        checkpoint.unsyncedWindowBytes = Int(UInt32.max)
        var file = [UInt8](repeating: 0, count: Checkpoint.fileSize)
        file.replaceSubrange(checkpoint.slotPosition..<checkpoint.slotPosition + Checkpoint.slotSize, with: checkpoint.encode())
        fixture.setContents(SegmentFileName.checkpoint, file)
        #expect {
            _ = try fixture.open()
        } throws: { error in
            guard case LogError.corruptLog(_, let reason) = error else { return false }
            return reason.contains("unsynced window of 4294967295 bytes")
        }
        // Read-only: served without the checkpoint, the problem reported.
        let readOnly = try fixture.open(readOnly: true)
        #expect(readOnly.nextOffset == Offset(10))
        #expect(readOnly.recoveryReport.corruption != nil)
    }
}
