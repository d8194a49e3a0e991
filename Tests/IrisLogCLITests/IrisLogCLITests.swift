import Foundation
@testable import IrisLog
import Testing

@Suite("iris-log")
struct IrisLogCLITests {
    // MARK: append / dump

    @Test("append then dump --json round-trips lines, empty lines and UTF-8")
    func appendDumpRoundTrip() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let lines = ["first", "", "ünïcødé ✓ \"quoted\"", "", "tab\there", "last line without newline"]
        let input = Data(lines.joined(separator: "\n").utf8)
        let append = try CLI.run(["append", directory.path], stdin: input)
        #expect(append.code == 0, "\(append.stderr)")
        #expect(append.stdoutLines == (0..<lines.count).map { String($0) })

        let dump = try CLI.run(["dump", directory.path, "--json"])
        #expect(dump.code == 0, "\(dump.stderr)")
        let records = dump.jsonLines
        #expect(records.count == lines.count)
        for (index, record) in records.enumerated() {
            #expect(record["offset"] as? Int == index)
            #expect(record["value"] as? String == lines[index])
            #expect(record["value_base64"] as? String == Data(lines[index].utf8).base64EncodedString())
            #expect(record["timestamp_us"] as? Int != nil)
            #expect(record["key"] == nil && record["key_base64"] == nil)
        }

        // A trailing newline ends the last record; it does not add an empty one. Offsets continue.
        let more = try CLI.run(["append", directory.path, "--no-sync"], stdin: Data("x\ny\n".utf8))
        #expect(more.code == 0, "\(more.stderr)")
        #expect(more.stdoutLines == ["\(lines.count)", "\(lines.count + 1)"])
        let tail = try CLI.run(["dump", directory.path, "--json", "--from", "\(lines.count)"])
        #expect(tail.jsonLines.compactMap { $0["value"] as? String } == ["x", "y"])
        let counted = try CLI.run(["dump", directory.path, "--json", "--from", "1", "--count", "2"])
        #expect(counted.jsonLines.compactMap { $0["offset"] as? Int } == [1, 2])
    }

    @Test("append --compression zstd stores compressed frames that dump reads back")
    func appendCompressed() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let lines = (0..<50).map { "compressible line \($0) " + String(repeating: "abcdefgh", count: 40) }
        let append = try CLI.run(["append", directory.path, "--compression", "zstd"], stdin: Data((lines.joined(separator: "\n") + "\n").utf8))
        #expect(append.code == 0, "\(append.stderr)")
        #expect(append.stdoutLines.count == 50)
        let info = try #require(try CLI.run(["info", directory.path, "--json"]).jsonLines.first)
        #expect((info["compressed_frames"] as? Int ?? 0) > 0)
        #expect((info["compression_ratio"] as? Double ?? 0) > 2)
        let dump = try CLI.run(["dump", directory.path, "--json"])
        #expect(dump.jsonLines.compactMap { $0["value"] as? String } == lines)
    }

    @Test("dump --json of a library-written log: keys, headers, empty and non-UTF-8 values")
    func dumpLibraryLog() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let batches = LibraryLog.mixedRecords(count: 120)
        try await LibraryLog.write(directory.path, batches: batches)
        let written = batches.flatMap { $0 }

        let dump = try CLI.run(["dump", directory.path, "--json"])
        #expect(dump.code == 0, "\(dump.stderr)")
        let records = dump.jsonLines
        try #require(records.count == written.count)
        for (index, (json, record)) in zip(records, written).enumerated() {
            #expect(json["offset"] as? Int == index)
            let value = Data(base64Encoded: json["value_base64"] as? String ?? "-").map { [UInt8]($0) }
            #expect(value == record.value)
            let text = String(validating: record.value, as: UTF8.self)
            #expect(json["value"] as? String == text, "value present exactly when valid UTF-8 (record \(index))")
            if let key = record.key {
                #expect(Data(base64Encoded: json["key_base64"] as? String ?? "-").map { [UInt8]($0) } == key)
                #expect(json["key"] as? String == String(validating: key, as: UTF8.self))
            } else {
                #expect(json["key_base64"] == nil && json["key"] == nil)
            }
            if let stamp = record.timestampMicroseconds { #expect(json["timestamp_us"] as? Int == Int(stamp)) }
            let headers = json["headers"] as? [[String: Any]] ?? []
            #expect(headers.count == record.headers.count)
            for (header, expected) in zip(headers, record.headers) {
                #expect(header["name"] as? String == expected.name)
                #expect(Data(base64Encoded: header["value_base64"] as? String ?? "-").map { [UInt8]($0) } == expected.value)
            }
        }
        // Human output: one line per record.
        let human = try CLI.run(["dump", directory.path])
        #expect(human.code == 0)
        #expect(human.stdoutLines.count == written.count)
    }

    // MARK: info / verify

    @Test("info reports segments, offsets, records and bytes")
    func infoNumbers() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try await LibraryLog.write(directory.path, batches: LibraryLog.plainRecords(count: 400, size: 700))
        let segments = LogFiles.segments(directory.path)
        #expect(segments.count >= 3)
        let info = try CLI.run(["info", directory.path, "--json"])
        #expect(info.code == 0, "\(info.stderr)")
        let json = try #require(info.jsonLines.first)
        #expect(json["segments"] as? Int == segments.count)
        #expect(json["sealed_segments"] as? Int == segments.count - 1)
        #expect(json["records"] as? Int == 400)
        #expect(json["first_offset"] as? Int == 0)
        #expect(json["last_offset"] as? Int == 399)
        #expect(json["frames"] as? Int == 100)
        #expect(json["compression_ratio"] as? Double == 1.0)
        #expect(json["status"] as? String == "clean")
        // Sealed segments are trimmed to their data: their file sizes add up to their data bytes.
        let list = try #require(json["segment_list"] as? [[String: Any]])
        for segment in list where segment["sealed"] as? Bool == true {
            let size = try FileManager.default.attributesOfItem(atPath: directory.file(segment["name"] as! String))[.size] as? Int
            #expect(segment["data_bytes"] as? Int == size)
            #expect(segment["index"] as? String == "ok")
        }
        let total = list.reduce(0) { $0 + ($1["records"] as? Int ?? 0) }
        #expect(total == 400)
        let human = try CLI.run(["info", directory.path])
        #expect(human.stdout.contains("records       400"))
    }

    @Test("verify exits 0 on a clean log")
    func verifyClean() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try await LibraryLog.write(directory.path, batches: LibraryLog.mixedRecords(count: 600))
        #expect(LogFiles.segments(directory.path).count >= 2)
        let verify = try CLI.run(["verify", directory.path])
        #expect(verify.code == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("clean"))
        #expect(verify.stderr.isEmpty)
        let json = try CLI.run(["verify", directory.path, "--json"])
        #expect(json.jsonLines.last?["status"] as? String == "clean")
        #expect(json.jsonLines.last?["records"] as? Int == 600)
    }

    @Test("verify exits 1 naming the file and byte position of a flipped byte in a sealed segment")
    func verifyCorruptSealed() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (victim, frame, _) = try await damagedSealedSegment(directory, frameNumber: 2, byteInFrame: 200)

        let verify = try CLI.run(["verify", directory.path])
        #expect(verify.code == 1)
        #expect(verify.stderr.contains("\(directory.path)/\(victim) at byte \(frame)"), "\(verify.stderr)")
        #expect(verify.stderr.contains("CRC mismatch"))
        let json = try CLI.run(["verify", directory.path, "--json"])
        #expect(json.code == 1)
        let finding = try #require(json.jsonLines.first { $0["kind"] as? String == "corruption" })
        #expect(finding["file"] as? String == victim)
        #expect(finding["position"] as? Int == frame)
        #expect(json.jsonLines.last?["status"] as? String == "corrupt")

        // dump prints the valid prefix and then fails with the position.
        let dump = try CLI.run(["dump", directory.path, "--json"])
        #expect(dump.code == 1)
        #expect(dump.stderr.contains("\(victim) at byte \(frame)"))
        #expect(dump.jsonLines.count > 0 && dump.jsonLines.count < 300)
    }

    @Test("a flipped byte in the synced part of the active segment is corruption, not a torn tail")
    func verifyCorruptSynced() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try await LibraryLog.write(directory.path, batches: LibraryLog.plainRecords(count: 40, size: 100))
        let segment = LogFiles.segmentName(0)
        let starts = LogFiles.frameStarts(try LogFiles.read(directory.file(segment)))
        try #require(starts.count == 10)
        // The close wrote a checkpoint recording the whole segment as synced.
        try LogFiles.flip(directory.file(segment), at: starts[7] + 50)
        let verify = try CLI.run(["verify", directory.path, "--json"])
        #expect(verify.code == 1)
        let finding = try #require(verify.jsonLines.first { $0["kind"] as? String == "corruption" })
        #expect(finding["file"] as? String == segment)
        #expect(finding["position"] as? Int == starts[7])
        #expect(!verify.jsonLines.contains { $0["kind"] as? String == "torn_tail" })
        #expect(verify.stderr.contains("\(segment) at byte \(starts[7])"))
    }

    @Test("a torn tail is reported as recoverable: verify exits 0")
    func tornTailRecoverable() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try await LibraryLog.write(directory.path, batches: LibraryLog.plainRecords(count: 20, size: 100))
        let segment = directory.file(LogFiles.segmentName(0))
        var bytes = try LogFiles.read(segment)
        let starts = LogFiles.frameStarts(bytes)
        let last = try #require(starts.last)
        let end = last + ((Int(bytes[last]) | Int(bytes[last + 1]) << 8) + 7) & ~7
        // Part of a 1 KiB frame that was being written when the power failed: a length field and
        // the bytes of its first sectors; its last sector never reached the disk (still zero).
        let torn: [UInt8] = [0x00, 0x04, 0, 0] + (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }
        bytes.replaceSubrange(end..<end + torn.count, with: torn)
        try LogFiles.write(segment, bytes)

        let verify = try CLI.run(["verify", directory.path, "--json"])
        #expect(verify.code == 0, "\(verify.stdout)\(verify.stderr)")
        let finding = try #require(verify.jsonLines.first { $0["kind"] as? String == "torn_tail" })
        #expect(finding["position"] as? Int == end)
        #expect(verify.jsonLines.last?["status"] as? String == "recoverable")
        let human = try CLI.run(["verify", directory.path])
        #expect(human.code == 0)
        #expect(human.stdout.contains("recoverable"))
        #expect(try CLI.run(["dump", directory.path]).stdoutLines.count == 20)

        // repair cuts it; afterwards the log is clean.
        let repair = try CLI.run(["repair", directory.path])
        #expect(repair.code == 0, "\(repair.stderr)")
        #expect(repair.stdout.contains("torn tail"))
        let after = try CLI.run(["verify", directory.path, "--json"])
        #expect(after.jsonLines.last?["status"] as? String == "clean")
    }

    // MARK: repair

    @Test("repair moves a corrupt segment aside with a report and the log opens with the valid prefix")
    func repairCorruptSegment() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (victim, frame, original) = try await damagedSealedSegment(directory, frameNumber: 3, byteInFrame: 60)
        let segments = LogFiles.segments(directory.path)
        let damaged = try LogFiles.read(directory.file(victim))

        // Reading through the damaged frame fails (the open trusts the sealed segment's index).
        #expect(try CLI.run(["verify", directory.path]).code == 1)

        let repair = try CLI.run(["repair", directory.path])
        #expect(repair.code == 0, "\(repair.stdout)\(repair.stderr)")
        #expect(repair.stdout.contains("moved aside \(victim) -> \(victim).corrupt-"))

        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        let aside = try #require(names.first { $0.hasPrefix(victim + ".corrupt-") && !$0.hasSuffix(".report") })
        #expect(try LogFiles.read(directory.file(aside)) == damaged, "the damaged segment is kept byte for byte")
        let report = try #require(names.first { $0.hasPrefix(victim + ".corrupt-") && $0.hasSuffix(".report") })
        let reportText = try String(contentsOfFile: directory.file(report), encoding: .utf8)
        #expect(reportText.contains("position: byte \(frame)"))
        #expect(reportText.contains("CRC mismatch"))
        // The later segment no longer joins: it is moved aside too, never deleted.
        #expect(names.contains { $0.hasPrefix(segments[2] + ".corrupt-") })

        // The log opens for writing with the valid prefix: the frames before the damage.
        let base = UInt64(victim.prefix(20))!
        let log = try Log.open(directory: directory.path, configuration: LibraryLog.configuration())
        #expect(log.nextOffset == Offset(base + 3 * 4))
        _ = try await log.append(Array("after repair".utf8))
        await log.close()
        let verify = try CLI.run(["verify", directory.path])
        #expect(verify.code == 0, "\(verify.stdout)\(verify.stderr)")
    }

    // MARK: index

    @Test("index --check detects a garbled index file and --rebuild fixes it")
    func indexCheckAndRebuild() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try await LibraryLog.write(directory.path, batches: LibraryLog.plainRecords(count: 300, size: 700))
        let check = try CLI.run(["index", directory.path, "--check"])
        #expect(check.code == 0, "\(check.stdout)\(check.stderr)")

        let index = directory.file(LogFiles.indexName(0))
        let original = try LogFiles.read(index)
        try #require(original.count > 48)
        try LogFiles.flip(index, at: 4)
        let garbled = try CLI.run(["index", directory.path, "--check"])
        #expect(garbled.code == 1)
        #expect(garbled.stderr.contains(LogFiles.indexName(0)))
        #expect(try CLI.run(["verify", directory.path]).code == 1)

        let rebuild = try CLI.run(["index", directory.path, "--rebuild"])
        #expect(rebuild.code == 0, "\(rebuild.stderr)")
        #expect(rebuild.stdout.contains("rebuilt \(LogFiles.indexName(0))"))
        #expect(try LogFiles.read(index) == original, "the rebuilt index equals the engine's")
        #expect(try CLI.run(["index", directory.path, "--check"]).code == 0)

        // An index with a valid CRC whose entry points inside a frame is caught too.
        var shifted = original
        let entries = (original.count - 48) / 8
        try #require(entries >= 1)
        shifted[4] &+= 8  // entry 0's position (u32 little-endian at byte 4) moves 8 bytes into a frame
        let crc = CRC32C.checksum(shifted[0..<(shifted.count - 4)])
        for byte in 0..<4 { shifted[shifted.count - 4 + byte] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(byte))) }
        try LogFiles.write(index, shifted)
        let inconsistent = try CLI.run(["index", directory.path, "--check"])
        #expect(inconsistent.code == 1)
        #expect(inconsistent.stderr.contains("\(LogFiles.indexName(0)) at byte 0: index entry 0"), "\(inconsistent.stderr)")
        #expect(try CLI.run(["index", directory.path, "--rebuild"]).code == 0)
        #expect(try LogFiles.read(index) == original)

        // A missing index is only a note; --rebuild writes it again.
        try? FileManager.default.removeItem(atPath: index)
        #expect(try CLI.run(["index", directory.path, "--check"]).code == 0, "a missing index is only a note")
        #expect(try CLI.run(["index", directory.path, "--rebuild"]).code == 0)
        #expect(FileManager.default.fileExists(atPath: index))
    }

    // MARK: tail

    @Test("tail follows records appended by another process")
    func tailFollows() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        #expect(try CLI.run(["append", directory.path, "--segment-size", "65536"], stdin: Data("a\nb\n".utf8)).code == 0)
        try CLI.requireBinary()
        let outPath = directory.path + ".tail-out"
        defer { try? FileManager.default.removeItem(atPath: outPath) }
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["tail", directory.path, "--from", "1", "--count", "300", "--json", "--interval-ms", "20"]
        process.standardOutput = FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle.standardError
        try process.run()
        // Enough 1 KiB records to roll over several 64 KiB segments while tail runs.
        let lines = (0..<299).map { "r\($0) " + String(repeating: "x", count: 1000) }
        let append = try CLI.run(["append", directory.path], stdin: Data(lines.joined(separator: "\n").utf8))
        #expect(append.code == 0, "\(append.stderr)")
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        let output = String(decoding: try Data(contentsOf: URL(fileURLWithPath: outPath)), as: UTF8.self)
        let records = output.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(records.compactMap { $0["offset"] as? Int } == Array(1...300))
        #expect(records.first?["value"] as? String == "b")
        #expect(records.last?["value"] as? String == lines.last)
        #expect(LogFiles.segments(directory.path).count >= 3)
    }

    // MARK: stdout failures

    @Test("a failed write to stdout (ENOSPC) ends dump with status 2 and the reason, from the last write or the writer thread")
    func stdoutFull() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try await LibraryLog.write(directory.path, batches: LibraryLog.plainRecords(count: 3000, size: 1000))
        // --count 1: one small write at the end; all: megabytes, handed to the writer thread.
        for arguments in [["--count", "1"], [], ["--json"]] {
            let full = try #require(FileHandle(forWritingAtPath: "/dev/full"))
            defer { try? full.close() }
            let result = try CLI.run(["dump", directory.path] + arguments, stdout: full)
            #expect(result.exitedNormally && result.code == 2, "\(arguments): \(result.code) \(result.stderr)")
            #expect(result.stderrLines == ["iris-log: writing to stdout failed: No space left on device"], "\(arguments)")
        }
    }

    @Test("a reader that went away (EPIPE) ends dump quietly with status 0")
    func stdoutReaderGone() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try await LibraryLog.write(directory.path, batches: LibraryLog.plainRecords(count: 3000, size: 1000))
        for arguments in [["--count", "1"], [], ["--json"]] {
            let pipe = Pipe()
            try pipe.fileHandleForReading.close()
            let result = try CLI.run(["dump", directory.path] + arguments, stdout: pipe.fileHandleForWriting)
            try? pipe.fileHandleForWriting.close()
            #expect(result.exitedNormally && result.code == 0, "\(arguments): \(result.code) \(result.stderr)")
            #expect(result.stderr.isEmpty, "\(arguments)")
        }
    }

    // MARK: usage and garbage

    @Test("usage errors exit 2 with one line on stderr", arguments: [
        [],
        ["frobnicate"],
        ["dump"],
        ["index", "/tmp"],
        ["index", "/tmp", "--check", "--rebuild"],
        ["dump", "/tmp", "--count", "-1"],
        ["append", "/tmp/iris-x", "--compression", "lz4"],
        ["info", "/nonexistent/iris-log-dir"],
        ["verify", "/nonexistent/iris-log-dir"],
        ["dump", "--from", "x", "/tmp"],
    ])
    func usageErrors(arguments: [String]) throws {
        let result = try CLI.run(arguments)
        #expect(result.code == 2, "\(arguments): \(result.stderr)")
        #expect(result.stderrLines.count == 1, "\(arguments): \(result.stderr)")
        #expect(result.stderr.hasPrefix("iris-log: "))
    }

    @Test("--help exits 0")
    func help() throws {
        let result = try CLI.run(["--help"])
        #expect(result.code == 0)
        #expect(result.stdout.contains("verify"))
    }

    @Test("garbage files never crash the tool", arguments: 1...6)
    func garbageFiles(seed: Int) throws {
        let directory = TemporaryDirectory("garbage")
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        var generator = SplitMix64(seed: UInt64(seed))
        func randomBytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) } }
        let sizes = [0, 7, 48, 4096, 70_000, Int(generator.next() % 200_000)]
        for (number, base) in [0, 100, 5000].enumerated() {
            var bytes = randomBytes(sizes[(seed + number) % sizes.count])
            if seed % 2 == 0, bytes.count >= 56 {
                // Plausible headers: a small length and the frame magic, so decoders go deeper.
                bytes[0] = 56; bytes[1] = 0; bytes[2] = 0; bytes[3] = 0
                bytes[8] = 0x52; bytes[9] = 0x49; bytes[10] = 1; bytes[11] = UInt8(seed % 3)
            }
            try LogFiles.write(directory.file(LogFiles.segmentName(UInt64(base))), bytes)
            if number < 2 { try LogFiles.write(directory.file(LogFiles.indexName(UInt64(base))), randomBytes(48 + 8 * (seed % 4))) }
        }
        try LogFiles.write(directory.file("checkpoint"), randomBytes(seed % 2 == 0 ? 4160 : 100))
        for arguments in [["info"], ["info", "--json"], ["dump", "--json"], ["dump", "--from", "3"], ["verify"], ["verify", "--json"],
                          ["index", "--check"], ["tail", "--count", "1", "--interval-ms", "1"]] {
            var command = [arguments[0], directory.path]
            command.append(contentsOf: arguments.dropFirst())
            let isTail = arguments[0] == "tail"
            let result = try CLI.run(command, timeout: isTail ? 1 : 60, mayRunOn: isTail)
            if isTail && !result.exitedNormally { continue }  // tail waits for records; terminated by the helper
            #expect(result.exitedNormally, "\(command) crashed: \(result.stderr)")
            #expect([0, 1, 2].contains(result.code), "\(command) exit \(result.code): \(result.stderr)")
            if result.code != 0 { #expect(result.stderrLines.count >= 1) }
        }
        let verify = try CLI.run(["verify", directory.path])
        #expect(verify.code == 1, "random bytes are corruption: \(verify.stdout)")
        // repair keeps every file (renamed), and leaves a log that opens or says why not.
        let before = try FileManager.default.contentsOfDirectory(atPath: directory.path).count
        let repair = try CLI.run(["repair", directory.path])
        #expect(repair.exitedNormally && [0, 1, 2].contains(repair.code), "\(repair.stderr)")
        let after = try FileManager.default.contentsOfDirectory(atPath: directory.path).count
        #expect(after >= before)
        if repair.code == 0 { #expect(try CLI.run(["verify", directory.path]).code == 0) }
    }
}

/// Writes a 300-record log with several sealed segments and flips one byte of frame
/// `frameNumber` in the second segment. Returns that segment's name, the frame's position and
/// the segment's bytes before the damage.
func damagedSealedSegment(_ directory: TemporaryDirectory, frameNumber: Int, byteInFrame: Int) async throws
    -> (victim: String, frame: Int, original: [UInt8]) {
    try await LibraryLog.write(directory.path, batches: LibraryLog.plainRecords(count: 300, size: 700))
    let segments = LogFiles.segments(directory.path)
    try #require(segments.count >= 3)
    let victim = segments[1]
    let original = try LogFiles.read(directory.file(victim))
    let starts = LogFiles.frameStarts(original)
    try #require(starts.count > frameNumber)
    try LogFiles.flip(directory.file(victim), at: starts[frameNumber] + byteInFrame)
    return (victim, starts[frameNumber], original)
}
