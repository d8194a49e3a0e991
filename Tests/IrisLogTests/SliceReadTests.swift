import Testing
@testable import IrisLog

/// `readSlices`, `fetch` and `scan` (SPEC.md §6.4): the same records as `read(from:maxBytes:)`,
/// with keys and values as slices of the frame read (no array per record) or, for `scan`, views
/// of the one buffer the scan reuses; `fetch` runs the read on the engine's read threads.
struct SliceReadTests {
    /// A log of frames of 1 to 7 records, some with keys and headers, some compressed.
    private func writtenLog(_ backend: Backend, compression: Codec) async throws -> (LogFixture, Log) {
        let fixture = LogFixture(backend) { $0.segmentSizeBytes = 64 << 10; $0.compression = compression }
        let log = try fixture.open()
        var index = 0
        for frame in 0..<60 {
            let records = (0..<(frame % 7 + 1)).map { _ -> Record in
                defer { index += 1 }
                return Record(value: payload(index, size: 100 + (index * 37) % 700), key: index % 3 == 0 ? nil : [UInt8](repeating: UInt8(index % 251), count: index % 5),
                              headers: index % 4 == 0 ? [RecordHeader(name: "h\(index)", value: [1, 2, 3])] : [])
            }
            _ = try await log.append(contentsOf: records)
        }
        return (fixture, log)
    }

    @Test(arguments: [Codec.none, .zstd])
    func sliceReadsReturnWhatReadReturnsForEveryStartAndLimit(compression: Codec) async throws {
        let (fixture, log) = try await writtenLog(.simulated, compression: compression)
        defer { fixture.cleanup() }
        let end = log.nextOffset.rawValue
        // Uncompressed, the frames span several segments; compressed they are too small to.
        #expect(end > 200 && (compression == .zstd || log.segmentCount > 1), "\(log.segmentCount) segments")
        for start in stride(from: UInt64(0), to: end, by: 7) {
            for maxBytes in [1, 200, 5_000, 1 << 20] {
                let expected = try log.read(from: Offset(start), maxBytes: maxBytes)
                let slices = try log.readSlices(from: Offset(start), maxBytes: maxBytes)
                #expect(slices.map(\.record) == expected, "from \(start), maxBytes \(maxBytes)")
                var scanned: [LogRecord] = []
                let next = try log.scan(from: Offset(start), maxBytes: maxBytes) { view in
                    scanned.append(view.record)
                    return true
                }
                #expect(scanned == expected, "scan from \(start), maxBytes \(maxBytes)")
                #expect(next == (expected.last.map { $0.offset.advanced(by: 1) } ?? Offset(start)))
            }
        }
        #expect(try log.readSlices(from: Offset(end)).isEmpty)
        #expect(throws: LogError.offsetOutOfRange(requested: Offset(end + 1), first: Offset(0), next: Offset(end))) {
            _ = try log.readSlices(from: Offset(end + 1))
        }
        await log.close()
    }

    /// A long scan on a disk (`FrameWindow` refills growing to 1 MiB) returns every record as
    /// appended: frames much smaller than a window, frames cut by a window's end, frames of
    /// about a window (the largest batch), over several segments.
    @Test(arguments: Backend.real)
    func aLongScanOnDiskReturnsEveryRecordAsAppended(backend: Backend) async throws {
        let fixture = LogFixture(backend) { $0.segmentSizeBytes = 8 << 20 }
        defer { fixture.cleanup() }
        let log = try fixture.open()
        var sizes: [Int] = []
        var index = 0
        for frame in 0..<400 {
            let frameSizes: [Int] = switch frame % 40 {
            case 7: [150 << 10]
            case 19: [400 << 10, 100 << 10]
            case 33: [1_000 << 10]                // about a window (the batch limit is 1 MiB)
            default: (0..<(frame % 5 + 1)).map { 1_000 + ($0 * 977 + frame * 131) % 9_000 }
            }
            let records = frameSizes.map { size -> Record in
                defer { index += 1 }
                return Record(value: payload(index, size: size))
            }
            sizes += frameSizes
            _ = try await log.append(contentsOf: records)
        }
        #expect(log.segmentCount > 2)
        // Every frame, checked (length, CRC) and in order.
        var nextOffset = Offset(0)
        try log.forEachFrame(from: Offset(0)) { header, _, _, _ in
            #expect(header.baseOffset == nextOffset)
            nextOffset = header.nextOffset
            return true
        }
        #expect(nextOffset == log.nextOffset)
        // Every value, byte for byte.
        var seen = 0
        var wrong: [Int] = []
        let next = try log.scan(from: Offset(0)) { view in
            let i = Int(view.offset.rawValue)
            if i >= sizes.count || !view.value.elementsEqual(payload(i, size: sizes[i])) { wrong.append(i) }
            seen += 1
            return true
        }
        #expect(wrong.isEmpty && seen == sizes.count && next == log.nextOffset, "wrong: \(wrong.prefix(10))")
        await log.close()
    }

    @Test func aScanStopsWhenItsBodySaysSoAndReadsToTheEndOtherwise() async throws {
        let (fixture, log) = try await writtenLog(.posix, compression: .none)
        defer { fixture.cleanup() }
        var seen: [Offset] = []
        let next = try log.scan(from: Offset(3)) { view in
            seen.append(view.offset)
            return seen.count < 10
        }
        #expect(seen == (3..<13).map { Offset(UInt64($0)) } && next == Offset(13))
        var values: [[UInt8]] = []
        #expect(try log.scan(from: Offset(0)) { values.append(Array($0.value)); return true } == log.nextOffset)
        #expect(values == (try log.read(from: Offset(0), maxBytes: .max)).map(\.value))
        await log.close()
    }

    @Test func theValuesOfOneFrameAreSlicesOfOneBuffer() async throws {
        let fixture = LogFixture(.simulated)
        defer { fixture.cleanup() }
        let log = try fixture.open()
        _ = try await log.append(contentsOf: (0..<5).map { Record(value: payload($0, size: 100)) })
        let slices = try log.readSlices(from: Offset(0))
        #expect(slices.count == 5)
        // Consecutive values lie in the same storage, as far apart as their slice indices.
        let starts = slices.map { slice in slice.value.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress!) } }
        for index in 1..<5 {
            #expect(starts[index] - starts[0] == slices[index].value.startIndex - slices[0].value.startIndex)
        }
        #expect(slices[0].value.startIndex > 0, "a slice of the frame, past its header")
        await log.close()
    }

    @Test(arguments: Backend.allCases)
    func fetchReadsOnTheEnginesReadThreads(backend: Backend) async throws {
        let (fixture, log) = try await writtenLog(backend, compression: .none)
        defer { fixture.cleanup() }
        let expected = try log.readSlices(from: Offset(10), maxBytes: 10_000)
        // Many at once: more than the read pool has threads, so some wait their turn.
        let fetched = try await withThrowingTaskGroup(of: [RecordSlice].self) { group in
            for _ in 0..<20 { group.addTask { try await log.fetch(from: Offset(10), maxBytes: 10_000) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(fetched.count == 20 && fetched.allSatisfy { $0 == expected })
        #expect(IOEngine.shared.readPool.threadCount >= 1 && IOEngine.shared.readPool.threadCount <= IOEngine.shared.readPool.threadsMax)
        await #expect(throws: LogError.offsetOutOfRange(requested: Offset(100_000), first: Offset(0), next: log.nextOffset)) {
            _ = try await log.fetch(from: Offset(100_000))
        }
        await log.close()
    }

    @Test func aSliceReadNeverServesADamagedFrame() async throws {
        let fixture = LogFixture(.simulated) { $0.segmentSizeBytes = 64 << 10 }
        defer { fixture.cleanup() }
        let log = try fixture.open()
        for index in 0..<400 { _ = try await log.append(payload(index, size: 500)) }
        fixture.disk!.flipBit(path: fixture.path(SegmentFileName.segment(Offset(0))), position: 3000)
        var failed: LogError? = nil
        do { _ = try log.readSlices(from: Offset(0), maxBytes: 1 << 30) } catch { failed = error }
        guard case .corruptFrame = failed else { Issue.record("a slice read served damaged data: \(String(describing: failed))"); return }
        await #expect(throws: LogError.self) { _ = try await log.fetch(from: Offset(0), maxBytes: 1 << 30) }
        // A scan hands over what lies before the damaged frame and nothing of it or after it.
        var scanned: [Offset] = []
        #expect(throws: LogError.self) { try log.scan(from: Offset(0)) { scanned.append($0.offset); return true } }
        let damagedFrameStart = try #require(scanned.last).advanced(by: 1)
        #expect(scanned == (0..<damagedFrameStart.rawValue).map { Offset($0) })
        #expect(throws: LogError.self) { try log.read(at: damagedFrameStart) }
        #expect(try log.readSlices(from: Offset(399)).map(\.record.value) == [payload(399, size: 500)])
        await log.close()
    }
}
