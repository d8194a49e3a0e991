import Foundation
import Testing

/// Issue 9, item 6: what a new user found. A stale or missing checkpoint never lets damage in
/// acknowledged data pass as a torn tail; a directory that holds no log is not a clean log.
@Suite("iris-log: a torn tail needs evidence")
struct TornTailEvidenceTests {
    /// Writes 2,000 acknowledged records, then puts back the checkpoint of the empty log (as a
    /// SIGKILL soon after the appends leaves it: "synced to byte 0").
    /// Returns the active segment's path and its frames' positions.
    static func logWithStaleCheckpoint(_ directory: TemporaryDirectory) async throws -> (segment: String, starts: [Int]) {
        try await LibraryLog.write(directory.path, batches: [])
        let stale = try LogFiles.read(directory.file("checkpoint"))
        try await LibraryLog.write(directory.path, batches: LibraryLog.plainRecords(count: 2_000, size: 100))
        try LogFiles.write(directory.file("checkpoint"), stale)
        let segment = directory.file(try #require(LogFiles.segments(directory.path).last))
        return (segment, LogFiles.frameStarts(try LogFiles.read(segment)))
    }

    @Test("a flipped bit in acknowledged data is corruption whatever the checkpoint says",
          arguments: ["stale checkpoint", "no checkpoint"])
    func flippedBitWithStaleOrMissingCheckpoint(checkpoint: String) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (segment, starts) = try await Self.logWithStaleCheckpoint(directory)
        try #require(starts.count > 10)
        if checkpoint == "no checkpoint" { try FileManager.default.removeItem(atPath: directory.file("checkpoint")) }
        // Near the end: inside the last unsynced window, where the old rule cut everything.
        let victim = starts[starts.count - 3]
        try LogFiles.flip(segment, at: victim + 40)
        let verify = try CLI.run(["verify", directory.path, "--json"])
        #expect(verify.code == 1, "\(verify.stdout)")
        #expect(verify.jsonLines.last?["status"] as? String == "corrupt")
        #expect(!verify.jsonLines.contains { $0["kind"] as? String == "torn_tail" })
        let finding = try #require(verify.jsonLines.first { $0["kind"] as? String == "corruption" })
        #expect(finding["position"] as? Int == victim)
        // Opening for writing refuses, and cuts nothing.
        let before = try LogFiles.read(segment)
        let append = try CLI.run(["append", directory.path], stdin: Data("x\n".utf8))
        #expect(append.code != 0)
        #expect(try LogFiles.read(segment) == before)
    }

    @Test("a segment of random bytes is corruption, not an unsynced tail")
    func randomSegment() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        // Seeded (an LCG), so every run tests the same bytes.
        var state: UInt64 = 0x1234_5678
        let random = (0..<(1 << 20)).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        try LogFiles.write(directory.file(LogFiles.segmentName(0)), random)
        let verify = try CLI.run(["verify", directory.path, "--json"])
        #expect(verify.code == 1, "\(verify.stdout)")
        #expect(verify.jsonLines.last?["status"] as? String == "corrupt")
    }

    @Test("a directory with neither a segment nor a checkpoint is not a log: exit 2")
    func notALog() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        try LogFiles.write(directory.path + "/notes.txt", Array("hello".utf8))
        for command in [["verify", directory.path], ["info", directory.path], ["dump", directory.path]] {
            let result = try CLI.run(command)
            #expect(result.code == 2, "\(command)")
            #expect(result.stderr.contains("holds no Iris log"), "\(command): \(result.stderr)")
        }
    }
}
