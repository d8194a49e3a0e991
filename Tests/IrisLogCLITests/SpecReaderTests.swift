import Foundation
import IrisLog
import Testing

/// The independent Python reader (Tools/spec-reader, written from SPEC.md alone) must decode
/// engine-written logs exactly as `iris-log dump --json` does: a check that SPEC.md is
/// complete and the engine follows it.
@Suite("SPEC reader")
struct SpecReaderTests {
    static let reader = CLI.packageRoot.appendingPathComponent("Tools/spec-reader/iris_spec_reader.py").path

    static func python() throws -> String {
        let path = ["/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
        return try #require(path, "python3 is needed to run the SPEC reader")
    }

    static func parse(_ lines: [String]) -> [NSDictionary] {
        lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? NSDictionary }
    }

    static func summary(_ stderr: String) throws -> [String: Any] {
        let line = try #require(stderr.split(separator: "\n").last)
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test("uncompressed log: the reader's records equal dump --json")
    func plainLog() async throws {
        let directory = TemporaryDirectory("spec-plain")
        defer { directory.remove() }
        try await LibraryLog.write(directory.path, batches: LibraryLog.mixedRecords(count: 2500))
        #expect(LogFiles.segments(directory.path).count >= 3, "several segments, so the chain crosses files and indexes exist")

        let python = try Self.runReader(directory.path)
        #expect(python.code == 0, "\(python.stderr)")
        let dump = try CLI.run(["dump", directory.path, "--json"])
        #expect(dump.code == 0)
        let expected = Self.parse(dump.stdoutLines)
        let actual = Self.parse(python.stdoutLines)
        #expect(expected.count == 2500)
        #expect(actual.count == expected.count)
        for (a, e) in zip(actual, expected) where a != e {
            Issue.record("reader \(a) differs from dump \(e)")
            break
        }
        let summary = try Self.summary(python.stderr)
        #expect(summary["skipped_compressed_frames"] as? Int == 0)
        #expect((summary["indexes_checked"] as? Int ?? 0) >= 2)
        #expect(summary["errors"] as? Int == 0)
    }

    @Test("zstd log: uncompressed frames match dump, compressed ones are counted as skipped")
    func compressedLog() async throws {
        let directory = TemporaryDirectory("spec-zstd")
        defer { directory.remove() }
        // Large compressible batches get compressed; small batches stay below the threshold.
        var batches: [[Record]] = []
        for round in 0..<240 {
            if round % 3 == 0 {
                batches.append((0..<6).map { Record(value: Array(String(repeating: "compress me \(round) ", count: 30).utf8), key: Array("k\($0)".utf8)) })
            } else {
                batches.append(LibraryLog.mixedRecords(count: 4).flatMap { $0 })
            }
        }
        try await LibraryLog.write(directory.path, batches: batches, compression: .zstd)
        let total = batches.reduce(0) { $0 + $1.count }
        #expect(LogFiles.segments(directory.path).count >= 2)

        let python = try Self.runReader(directory.path)
        #expect(python.code == 0, "\(python.stderr)")
        let summary = try Self.summary(python.stderr)
        let dump = try CLI.run(["dump", directory.path, "--json"])
        #expect(dump.code == 0)
        let expected = Self.parse(dump.stdoutLines)
        #expect(expected.count == total)
        let byOffset = Dictionary(uniqueKeysWithValues: expected.map { (($0["offset"] as? Int) ?? -1, $0) })
        let actual = Self.parse(python.stdoutLines)
        let skipped = summary["skipped_compressed_records"] as? Int ?? -1
        #expect((summary["skipped_compressed_frames"] as? Int ?? 0) >= 40)
        #expect(summary["errors"] as? Int == 0)
        #expect(actual.count + skipped == total)
        for record in actual {
            #expect(byOffset[(record["offset"] as? Int) ?? -1] == record)
        }
        let info = try #require(try CLI.run(["info", directory.path, "--json"]).jsonLines.first)
        #expect(info["compressed_frames"] as? Int == summary["skipped_compressed_frames"] as? Int)
    }

    @Test("the reader reports a flipped byte with file and position, like verify")
    func readerDetectsCorruption() async throws {
        let directory = TemporaryDirectory("spec-corrupt")
        defer { directory.remove() }
        try await LibraryLog.write(directory.path, batches: LibraryLog.plainRecords(count: 200, size: 700))
        let victim = LogFiles.segments(directory.path)[0]
        let frame = LogFiles.frameStarts(try LogFiles.read(directory.file(victim)))[5]
        try LogFiles.flip(directory.file(victim), at: frame + 100)
        let python = try Self.runReader(directory.path)
        #expect(python.code == 1)
        #expect(python.stderr.contains("\(victim) at byte \(frame)"))
        #expect(Self.parse(python.stdoutLines).count == 20)
    }

    @Test("after retention deleted the oldest segments: dump starts at the first offset, the reader agrees")
    func afterRetention() async throws {
        let directory = TemporaryDirectory("spec-retention")
        defer { directory.remove() }
        let log = try Log.open(directory: directory.path, configuration: LibraryLog.configuration())
        for batch in LibraryLog.plainRecords(count: 400, size: 700) { _ = try await log.append(contentsOf: batch) }
        let deleted = try await log.deleteSegments(before: Offset(250))
        let first = log.firstOffset.rawValue
        await log.close()
        try #require(deleted >= 1 && first > 0)

        let early = try CLI.run(["dump", directory.path, "--from", "0"])
        #expect(early.code == 2)
        #expect(early.stdout.isEmpty)
        #expect(early.stderr.contains("before the log's first offset \(first)"))
        let dump = try CLI.run(["dump", directory.path, "--json"])
        #expect(dump.code == 0, "\(dump.stderr)")
        #expect(dump.jsonLines.first?["offset"] as? Int == Int(first))
        #expect(dump.jsonLines.count == 400 - Int(first))
        #expect(try CLI.run(["verify", directory.path]).code == 0)
        let python = try Self.runReader(directory.path)
        #expect(python.code == 0, "\(python.stderr)")
        #expect(Self.parse(python.stdoutLines) == Self.parse(dump.stdoutLines))
    }

    static func runReader(_ directory: String) throws -> CLI.Result {
        try CLI.runProcess(try python(), [reader, directory, "--summary"])
    }
}
