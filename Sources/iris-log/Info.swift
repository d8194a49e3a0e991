import ArgumentParser
import Foundation
import IrisLog
import IrisLogInspection
import Logging
#if canImport(Glibc)
import Glibc
#endif

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Segments, offsets, record count, bytes and compression of a log.")
    @Argument(help: "The log directory.") var directory: String
    @Flag(help: "One JSON object on one line.") var json = false

    func run() throws {
        let report = try LogInspector.inspect(directory: directory, decodeRecords: false, checkIndexes: true)
        let prefix = report.prefixSegments
        let records = prefix.reduce(0) { $0 + $1.records }
        let frames = prefix.reduce(0) { $0 + $1.frames }
        let compressedFrames = prefix.reduce(0) { $0 + $1.compressedFrames }
        let dataBytes = prefix.reduce(0) { $0 + $1.dataBytes }
        let fileBytes = report.segments.reduce(0) { $0 + $1.fileBytes }
        let stored = prefix.reduce(0) { $0 + $1.storedPayloadBytes }
        let uncompressed = prefix.reduce(0) { $0 + $1.uncompressedPayloadBytes }
        let ratio = stored > 0 ? Double(uncompressed) / Double(stored) : 1.0
        let next = report.nextOffset
        let first = report.firstOffset
        let status = report.cut != nil || report.hasErrors ? "corrupt" : (report.findings.contains { $0.kind == .tornTail } ? "torn_tail" : "clean")
        if json {
            var pairs: [(String, JSON)] = [
                ("directory", .string(directory)),
                ("segments", .int(report.segments.count)),
                ("sealed_segments", .int(report.segments.filter(\.sealed).count)),
                ("first_offset", .uint(first)),
                ("last_offset", next > first ? .uint(next - 1) : .null),
                ("next_offset", .uint(next)),
                ("records", .int(records)),
                ("frames", .int(frames)),
                ("compressed_frames", .int(compressedFrames)),
                ("data_bytes", .int(dataBytes)),
                ("file_bytes", .int(fileBytes)),
                ("stored_payload_bytes", .int(stored)),
                ("uncompressed_payload_bytes", .int(uncompressed)),
                ("compression_ratio", .double(ratio)),
                ("status", .string(status)),
            ]
            if let checkpoint = report.checkpoint {
                pairs.append(("checkpoint", .object([
                    ("sequence", .uint(checkpoint.sequence)), ("segment_base", .uint(checkpoint.segmentBase)),
                    ("synced_position", .int(checkpoint.syncedPosition)), ("next_offset", .uint(checkpoint.nextOffset)),
                ])))
            }
            pairs.append(("segment_list", .array(report.segments.map { segment in
                .object([
                    ("name", .string(segment.name)), ("base_offset", .uint(segment.baseOffset)), ("next_offset", .uint(segment.nextOffset)),
                    ("records", .int(segment.records)), ("frames", .int(segment.frames)), ("data_bytes", .int(segment.dataBytes)),
                    ("file_bytes", .int(segment.fileBytes)), ("sealed", .bool(segment.sealed)), ("index", .string(segment.index)),
                    ("compressed_frames", .int(segment.compressedFrames)),
                ])
            })))
            try Output.out(JSON.object(pairs).text + "\n")
        } else {
            var rows: [[String]] = [
                ["directory", directory],
                ["segments", "\(report.segments.count) (\(report.segments.filter(\.sealed).count) sealed)"],
                ["first offset", String(first)],
                ["last offset", next > first ? String(next - 1) : "- (empty)"],
                ["records", String(records)],
                ["frames", "\(frames) (\(compressedFrames) zstd)"],
                ["data bytes", "\(dataBytes) (\(formatBytes(dataBytes)))"],
                ["file bytes", "\(fileBytes) (\(formatBytes(fileBytes)), preallocation included)"],
                ["compression", String(format: "%.2fx (%d payload bytes stored for %d)", ratio, stored, uncompressed)],
            ]
            if let checkpoint = report.checkpoint {
                rows.append(["checkpoint", "sequence \(checkpoint.sequence), segment \(checkpoint.segmentBase), synced to byte \(checkpoint.syncedPosition)"])
            }
            rows.append(["status", status])
            var text = table(rows)
            if !report.segments.isEmpty {
                text += "\n"
                var segmentRows = [["SEGMENT", "FIRST", "NEXT", "RECORDS", "FRAMES", "DATA BYTES", "FILE BYTES", "INDEX"]]
                for segment in report.segments {
                    segmentRows.append([segment.name, String(segment.baseOffset), String(segment.nextOffset), String(segment.records),
                                        String(segment.frames), String(segment.dataBytes), String(segment.fileBytes),
                                        segment.index + (segment.beyondCorruption ? " (beyond corruption)" : "")])
                }
                text += table(segmentRows, rightAligned: [1, 2, 3, 4, 5, 6])
            }
            try Output.out(text)
        }
        if let cut = report.cut {
            let segment = report.segments[cut.segmentIndex]
            throw ToolFailure.corrupt("corruption in \(directory)/\(segment.name) at byte \(cut.position): \(cut.reason); only offsets before \(next) are valid (run `iris-log verify`)")
        }
        if let finding = report.findings.first(where: \.isError) {
            throw ToolFailure.corrupt(describe(finding, directory: directory))
        }
    }
}

func describe(_ finding: InspectionFinding, directory: String) -> String {
    let place = finding.position.map { " at byte \($0)" } ?? ""
    switch finding.kind {
    case .corruption: return "corruption in \(directory)/\(finding.file)\(place): \(finding.reason)"
    case .index: return "damaged index \(directory)/\(finding.file)\(place): \(finding.reason)"
    case .tornTail: return "torn tail in \(directory)/\(finding.file)\(place): \(finding.reason)"
    case .note: return "note: \(directory)/\(finding.file)\(place): \(finding.reason)"
    }
}

func findingJSON(_ finding: InspectionFinding, directory: String) -> JSON {
    .object([
        ("kind", .string(finding.kind.rawValue)),
        ("file", .string(finding.file)),
        ("path", .string(directory + "/" + finding.file)),
        ("position", finding.position.map { .int($0) } ?? .null),
        ("reason", .string(finding.reason)),
    ])
}

// MARK: - dump
