import IrisLog

extension LogInspector {
    /// Checks a sealed segment's index file against the segment's frames (SPEC.md §4).
    static func checkIndex(
        directory: String, segment: InspectedSegment, frames: [ScannedFrame], lastCRC: UInt32, exists: Bool,
        report: inout InspectionReport
    ) -> String {
        let name = SegmentFileName.index(Offset(segment.baseOffset))
        guard exists else {
            report.findings.append(.init(kind: .note, file: name, position: nil,
                                         reason: "sealed segment \(segment.name) has no index file; rebuilt at the next open or by `index --rebuild`"))
            return "missing"
        }
        let indexBytes: [UInt8]
        do { indexBytes = try InspectionFiles.readWhole(directory + "/" + name) } catch {
            report.findings.append(.init(kind: .index, file: name, position: nil, reason: error.description))
            return "damaged"
        }
        let starts = Dictionary(frames.map { ($0.position, $0.header.baseOffset.rawValue) }, uniquingKeysWith: { first, _ in first })
        if let (position, reason) = indexProblem(indexBytes, segment: segment, frameStarts: starts, lastCRC: lastCRC) {
            report.findings.append(.init(kind: .index, file: name, position: position, reason: reason + "; run `iris-log index DIR --rebuild`"))
            return "damaged"
        }
        return "ok"
    }

    /// The first problem of an index file, with its byte position; nil when it matches the
    /// segment. The file is decoded as recovery decodes it (`IndexFile.decode`); what the
    /// decoded values say is then compared with the frames actually present.
    static func indexProblem(_ bytes: [UInt8], segment: InspectedSegment, frameStarts: [Int: UInt64], lastCRC: UInt32) -> (Int, String)? {
        let index: OffsetIndex
        let summary: SegmentSummary
        do {
            (index, summary) = try IndexFile.decode(bytes, baseOffset: Offset(segment.baseOffset), intervalBytes: LogConfiguration().indexIntervalBytes)
        } catch {
            return (error.position, error.reason)
        }
        func at(_ field: IndexFile.Field) -> Int { IndexFile.position(of: field, entryCount: index.entries.count) }
        if summary.nextOffset.rawValue != segment.nextOffset {
            return (at(.nextOffset), "index says the segment ends before offset \(summary.nextOffset), its frames end before \(segment.nextOffset)")
        }
        if summary.dataEnd != segment.dataBytes {
            return (at(.dataEnd), "index says data ends at byte \(summary.dataEnd), frames end at \(segment.dataBytes)")
        }
        if summary.lastCRC != lastCRC { return (at(.lastCRC), "index last CRC differs from the last frame's CRC") }
        if let expected = segment.maxTimestamp, summary.maxTimestamp != expected {
            return (at(.maxTimestamp), "index max timestamp \(summary.maxTimestamp) differs from the frames' \(expected)")
        }
        for (entry, packed) in index.entries.enumerated() {
            let offset = segment.baseOffset &+ (packed >> 32)
            let position = Int(packed & 0xFFFF_FFFF)
            guard frameStarts[position] == offset else {
                return (IndexFile.position(ofEntry: entry), "index entry \(entry) (offset \(offset), byte \(position)) is not a frame start of the segment")
            }
        }
        return nil
    }
}
