import Testing
@testable import IrisLog

struct IndexAndCheckpointTests {
    /// Frames of varying sizes laid out as the writer does, with the index fed as it goes.
    static func layout(frames: Int, seed: UInt64) -> (index: OffsetIndex, starts: [(offset: Offset, position: Int)]) {
        var random = SplitMix64(seed: seed)
        var index = OffsetIndex(baseOffset: Offset(1000), intervalBytes: 4096)
        var starts: [(Offset, Int)] = []
        var offset = Offset(1000)
        var position = 0
        for _ in 0..<frames {
            starts.append((offset, position))
            index.frameWritten(baseOffset: offset, position: position)
            offset = offset.advanced(by: 1 + random.next() % 20)
            position += FrameHeader.padded(48 + Int(random.next() % 3000))
        }
        return (index, starts)
    }

    @Test func lookupFindsTheLastIndexedFrameAtOrBeforeTheOffset() {
        let (index, starts) = Self.layout(frames: 2000, seed: 3)
        #expect(index.count > 100)
        let indexed = Set(index.entries.map { Int($0 & 0xFFFF_FFFF) })
        for (number, start) in starts.enumerated() {
            let end = number + 1 < starts.count ? starts[number + 1].offset : start.offset.advanced(by: 1)
            for offset in start.offset.rawValue..<end.rawValue {
                // Model: the latest frame start at or before this frame that has an entry, else 0.
                let expected = starts[...number].last { indexed.contains($0.position) }?.position ?? 0
                #expect(index.position(before: Offset(offset)) == expected)
            }
        }
    }

    @Test func indexEntriesAreSparse() {
        let (index, starts) = Self.layout(frames: 2000, seed: 4)
        let bytes = starts.last!.position
        #expect(index.count <= bytes / 4096 + 1)
        #expect(index.count >= bytes / (4096 + 3100) - 1)
    }

    @Test func indexFileRoundTripsAndRejectsAnyDamage() {
        let (index, starts) = Self.layout(frames: 300, seed: 5)
        let summary = SegmentSummary(baseOffset: Offset(1000), nextOffset: starts.last!.offset.advanced(by: 1),
                                     dataEnd: starts.last!.position + 64, lastCRC: 77, maxTimestamp: 123)
        let bytes = IndexFile.encode(index, summary: summary)
        let decoded = try? IndexFile.decode(bytes, baseOffset: Offset(1000), intervalBytes: 4096)
        #expect(decoded?.0.entries == index.entries)
        #expect(decoded?.1 == summary)
        for position in stride(from: 0, to: bytes.count, by: 5) {
            var damaged = bytes
            damaged[position] ^= 0x10
            #expect((try? IndexFile.decode(damaged, baseOffset: Offset(1000), intervalBytes: 4096)) == nil, "flip at \(position)")
        }
        #expect((try? IndexFile.decode(Array(bytes.dropLast()), baseOffset: Offset(1000), intervalBytes: 4096)) == nil)
        #expect((try? IndexFile.decode([], baseOffset: Offset(1000), intervalBytes: 4096)) == nil)
        // The reserved footer field must be zero, even under a valid CRC.
        var reserved = bytes
        let footer = bytes.count - IndexFile.footerSize
        reserved[footer + 28] = 1
        reserved.withUnsafeMutableBytes {
            ByteCoding.store(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<footer + 44])), $0, at: footer + 44)
        }
        #expect((try? IndexFile.decode(reserved, baseOffset: Offset(1000), intervalBytes: 4096)) == nil)
    }

    @Test func checkpointUsesTheNewestValidSlot() {
        var file = [UInt8](repeating: 0, count: Checkpoint.fileSize)
        func put(_ checkpoint: Checkpoint) {
            file.replaceSubrange(checkpoint.slotPosition..<checkpoint.slotPosition + Checkpoint.slotSize, with: checkpoint.encode())
        }
        let older = Checkpoint(sequence: 6, segmentBase: Offset(10), syncedPosition: 4096, nextOffset: Offset(50), lastCRC: 1, unsyncedWindowBytes: 1 << 21)
        let newer = Checkpoint(sequence: 7, segmentBase: Offset(10), syncedPosition: 8192, nextOffset: Offset(90), lastCRC: 2, unsyncedWindowBytes: 1 << 21)
        #expect(Checkpoint.decode(file: file) == nil)
        put(older)
        #expect(Checkpoint.decode(file: file) == older)
        put(newer)
        #expect(Checkpoint.decode(file: file) == newer)
        // A torn write of the newer slot leaves the older one in force.
        file[newer.slotPosition + 30] ^= 1
        #expect(Checkpoint.decode(file: file) == older)
        // Reserved bytes 48..<60 must be zero, even under a valid CRC (a later version's slot).
        var reserved = newer.encode()
        reserved[50] = 1
        reserved.withUnsafeMutableBytes { ByteCoding.store(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<60])), $0, at: 60) }
        #expect(reserved.withUnsafeBytes { Checkpoint.decodeSlot($0) } == nil)
    }

    /// SPEC.md §6.2, the whole rulebook: every combination of its five facts, with the verdict
    /// written out row by row (not derived), so a change to any rule fails here.
    @Test func tailDecisionRulebookOverEveryCombinationOfFacts() {
        typealias Facts = TailDecision.Facts
        var expected: [Facts: TailDecision.Verdict] = [:]
        for facts in Facts.allCases {
            switch (facts.defect, facts.isLastSegment, facts.beforeSynced, facts.tornWriteEvidence, facts.dataBeyondWindow) {
            case (false, _, false, _, _): expected[facts] = .clean          // frames end in zeroes
            case (false, _, true, _, _): expected[facts] = .corruption      // durable data missing
            case (true, false, _, _, _): expected[facts] = .corruption      // sealed segments take no writes
            case (true, true, true, _, _): expected[facts] = .corruption    // damage in synced data
            case (true, true, false, false, _): expected[facts] = .corruption  // no sign of a torn write
            case (true, true, false, true, true): expected[facts] = .corruption  // data past the window
            case (true, true, false, true, false): expected[facts] = .tornTail
            }
        }
        #expect(Facts.allCases.count == 32 && Set(Facts.allCases).count == 32)
        #expect(expected.values.filter { $0 == .tornTail }.count == 1)
        for facts in Facts.allCases {
            #expect(TailDecision.decide(facts) == expected[facts], "\(facts)")
        }
    }

    /// The rulebook on bytes: a segment holding one valid frame, then a second frame whose write
    /// was cut short in one of several ways.
    @Test func tornWriteNeedsEvidenceOnTheBytes() {
        func frame(_ offset: UInt64, previousCRC: UInt32, size: Int) -> (bytes: [UInt8], crc: UInt32) {
            EncodedFrame(records: [Record(value: payload(Int(offset), size: size))], term: Term(0), now: 0, codec: .none,
                         compressionLevel: 3, compressionThresholdBytes: 0).sealed(baseOffset: Offset(offset), previousCRC: previousCRC)
        }
        let first = frame(0, previousCRC: 0, size: 300)
        let second = frame(1, previousCRC: first.crc, size: 2000)
        let start = FrameHeader.padded(first.bytes.count)
        let window = 8192
        func decide(synced: Int = 0, last: Bool = true, _ damage: (inout [UInt8]) -> Void) -> TailDecision {
            var bytes = [UInt8](repeating: 0, count: 64 << 10)
            bytes.replaceSubrange(0..<first.bytes.count, with: first.bytes)
            bytes.replaceSubrange(start..<start + second.bytes.count, with: second.bytes)
            damage(&bytes)
            return bytes.withUnsafeBytes { buffer in
                let scan = SegmentScan.scan(buffer, expectedOffset: Offset(0), expectedPreviousCRC: 0, frameBytesMax: 1 << 20)
                return TailDecision.decide(scan: scan, bytes: buffer, isLastSegment: last, syncedPosition: synced, unsyncedWindowBytes: window)
            }
        }
        let secondSector = (start / 512 + 1) * 512
        let lostSector: (inout [UInt8]) -> Void = { bytes in
            for position in secondSector..<secondSector + 512 { bytes[position] = 0 }
        }
        #expect(decide { _ in } == .clean)
        // A sector of the frame never reached the disk: torn.
        #expect(decide(lostSector) == .tornTail(position: start))
        // Its header's sector was lost, later ones landed: torn (zero length before data).
        #expect(decide { bytes in for position in start..<secondSector { bytes[position] = 0 } } == .tornTail(position: start))
        // The same loss in synced data, in a sealed segment, or with data past the window: corruption.
        guard case .corruption(start, _) = decide(synced: start + 4096, lostSector),
              case .corruption(start, _) = decide(last: false, lostSector),
              case .corruption(start, _) = decide({ bytes in lostSector(&bytes); bytes[start + window + 100] = 1 }) else {
            Issue.record("a lost sector outside the unsynced tail must be corruption"); return
        }
        // A flipped bit, or garbage over the frame: no zero sector, so corruption even with no checkpoint.
        guard case .corruption(start, _) = decide({ $0[start + 700] ^= 0x10 }),
              case .corruption(start, _) = decide({ bytes in for position in start..<start + 2100 { bytes[position] = 0xEE } }) else {
            Issue.record("damage that is not a torn write must be corruption"); return
        }
        // The file ends inside the frame: its end was never written.
        #expect(decide { bytes in bytes.removeLast(bytes.count - (start + 1000)) } == .tornTail(position: start))
    }
}
