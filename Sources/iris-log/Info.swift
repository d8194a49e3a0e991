import ArgumentParser
import Foundation
import IrisLog
import IrisLogInspection
import Logging
#if canImport(Glibc)
import Glibc
#endif

struct Info: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Segments, offsets, record count, bytes and compression of a log.")
    @Argument(help: "The log directory; omit with --cluster.") var directory: String?
    @OptionGroup var cluster: ClusterOptions
    @Flag(help: "One JSON object on one line.") var json = false

    func validate() throws {
        try cluster.validate(directory: directory)
    }

    func run() async throws {
        guard let directory else { return try await ClusterCommands.info(cluster, json: json) }
        let report = try LogInspector.inspect(directory: directory, decodeRecords: false, checkIndexes: true)
        let totals = Totals(report)
        try Output.out(json ? jsonText(report, totals, directory: directory) : plainText(report, totals, directory: directory))
        if let cut = report.cut {
            let segment = report.segments[cut.segmentIndex]
            throw ToolFailure.corrupt("corruption in \(directory)/\(segment.name) at byte \(cut.position): \(cut.reason); only offsets before \(totals.next) are valid (run `iris-log verify`)")
        }
        if let finding = report.findings.first(where: \.isError) {
            throw ToolFailure.corrupt(describe(finding, directory: directory))
        }
    }

    /// The figures `info` shows, over the valid prefix (file bytes: over every segment).
    private struct Totals {
        var records = 0, frames = 0, compressedFrames = 0, dataBytes = 0, fileBytes = 0, stored = 0, uncompressed = 0
        var first: UInt64, next: UInt64
        var status: String
        var ratio: Double { stored > 0 ? Double(uncompressed) / Double(stored) : 1.0 }

        init(_ report: InspectionReport) {
            for segment in report.prefixSegments {
                records += segment.records
                frames += segment.frames
                compressedFrames += segment.compressedFrames
                dataBytes += segment.dataBytes
                stored += segment.storedPayloadBytes
                uncompressed += segment.uncompressedPayloadBytes
            }
            fileBytes = report.segments.reduce(0) { $0 + $1.fileBytes }
            first = report.firstOffset
            next = report.nextOffset
            status = report.cut != nil || report.hasErrors ? "corrupt" : (report.findings.contains { $0.kind == .tornTail } ? "torn_tail" : "clean")
        }
    }

    private func jsonText(_ report: InspectionReport, _ totals: Totals, directory: String) -> String {
        var pairs: [(String, JSON)] = [
            ("directory", .string(directory)),
            ("segments", .int(report.segments.count)),
            ("sealed_segments", .int(report.segments.filter(\.sealed).count)),
            ("first_offset", .uint(totals.first)),
            ("last_offset", totals.next > totals.first ? .uint(totals.next - 1) : .null),
            ("next_offset", .uint(totals.next)),
            ("records", .int(totals.records)),
            ("frames", .int(totals.frames)),
            ("compressed_frames", .int(totals.compressedFrames)),
            ("data_bytes", .int(totals.dataBytes)),
            ("file_bytes", .int(totals.fileBytes)),
            ("stored_payload_bytes", .int(totals.stored)),
            ("uncompressed_payload_bytes", .int(totals.uncompressed)),
            ("compression_ratio", .double(totals.ratio)),
            ("status", .string(totals.status)),
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
        return JSON.object(pairs).text + "\n"
    }

    private func plainText(_ report: InspectionReport, _ totals: Totals, directory: String) -> String {
        var rows: [[String]] = [
            ["directory", directory],
            ["segments", "\(report.segments.count) (\(report.segments.filter(\.sealed).count) sealed)"],
            ["first offset", String(totals.first)],
            ["last offset", totals.next > totals.first ? String(totals.next - 1) : "- (empty)"],
            ["records", String(totals.records)],
            ["frames", "\(totals.frames) (\(totals.compressedFrames) zstd)"],
            ["data bytes", "\(totals.dataBytes) (\(formatBytes(totals.dataBytes)))"],
            ["file bytes", "\(totals.fileBytes) (\(formatBytes(totals.fileBytes)), preallocation included)"],
            ["compression", String(format: "%.2fx (%d payload bytes stored for %d)", totals.ratio, totals.stored, totals.uncompressed)],
        ]
        if let checkpoint = report.checkpoint {
            rows.append(["checkpoint", "sequence \(checkpoint.sequence), segment \(checkpoint.segmentBase), synced to byte \(checkpoint.syncedPosition)"])
        }
        rows.append(["status", totals.status])
        let text = table(rows)
        guard !report.segments.isEmpty else { return text }
        var segmentRows = [["SEGMENT", "FIRST", "NEXT", "RECORDS", "FRAMES", "DATA BYTES", "FILE BYTES", "INDEX"]]
        for segment in report.segments {
            segmentRows.append([segment.name, String(segment.baseOffset), String(segment.nextOffset), String(segment.records),
                                String(segment.frames), String(segment.dataBytes), String(segment.fileBytes),
                                segment.index + (segment.beyondCorruption ? " (beyond corruption)" : "")])
        }
        return text + "\n" + table(segmentRows, rightAligned: [1, 2, 3, 4, 5, 6])
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
