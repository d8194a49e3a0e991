import ArgumentParser
import Foundation
import IrisLog

/// Writes small valid inputs for the fuzz targets, cut from real logs written through the
/// public API: frames, record payloads, segment files, index files, checkpoint files.
struct SeedCorpus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-corpus", abstract: "Write the fuzzers' seed corpus into DIR/<target>/.", shouldDisplay: false)

    @Argument(help: "Corpus root, e.g. Fuzz/corpus")
    var root: String

    func run() async throws {
        let work = FileManager.default.temporaryDirectory.path + "/iris-seed-corpus-\(getpid())"
        try? FileManager.default.removeItem(atPath: work)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        for target in ["FuzzFrameDecoder", "FuzzRecordDecoder", "FuzzSegmentRecovery", "FuzzIndexFile", "FuzzCheckpoint"] {
            try FileManager.default.createDirectory(atPath: root + "/" + target, withIntermediateDirectories: true)
        }
        func save(_ target: String, _ name: String, _ bytes: [UInt8]) throws {
            try Data(bytes).write(to: URL(fileURLWithPath: "\(root)/\(target)/\(name)"))
        }

        // Small limits: 64 KiB segments (the minimum), so a few KiB of records roll often.
        var configuration = LogConfiguration()
        configuration.segmentSizeBytes = 64 << 10
        configuration.recordBytesMax = 4 << 10
        configuration.batchBytesMax = 16 << 10
        configuration.appendQueueBytesMax = 64 << 10
        configuration.writeGroupBytesMax = 4 << 10
        configuration.checkpointIntervalBytes = 4 << 10
        configuration.indexIntervalBytes = 256
        configuration.compressionThresholdBytes = 64

        var random = SplitMix64(seed: 42)
        for (name, codec) in [("plain", Codec.none), ("zstd", Codec.zstd)] {
            let directory = "\(work)/\(name)"
            var configuration = configuration
            configuration.compression = codec
            let log = try Log.open(directory: directory, configuration: configuration, logger: quietLogger())
            _ = try await log.append([])
            _ = try await log.append(Array("hello, iris".utf8))
            _ = try await log.append(Record(value: Array(repeating: 0x61, count: 300), key: Array("key".utf8),
                                            headers: [RecordHeader(name: "h", value: [1, 2, 3]), RecordHeader(name: "clé", value: [])],
                                            timestampMicroseconds: -5))
            _ = try await log.append(contentsOf: (0..<5).map { Record(value: Workload.bytes(count: 40 * $0, random: &random), key: $0 % 2 == 0 ? [] : nil) })
            // Enough to roll several segments.
            for round in 0..<60 {
                let count = 1 + round % 4
                _ = try await log.append(contentsOf: (0..<count).map { _ in
                    Record(value: Workload.bytes(count: random.range(0...3000), random: &random), key: random.chance(30) ? [UInt8(round)] : nil)
                })
            }
            await log.close()

            let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
            let segments = names.filter { $0.hasSuffix(".log") }
            for (number, segment) in segments.enumerated() {
                let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(segment)")))
                let frames = Self.frames(bytes)
                let dataEnd = frames.last.map { $0.position + ($0.length + 7) & ~7 } ?? 0
                if number == 0 {
                    // Single frames and record payloads from the first segment.
                    for (index, frame) in frames.prefix(6).enumerated() {
                        let frameBytes = Array(bytes[frame.position..<frame.position + frame.length])
                        try save("FuzzFrameDecoder", "\(name)-frame-\(index)", frameBytes)
                        if frameBytes[11] == 0 {
                            let count = UInt16(frameBytes[12]) | UInt16(frameBytes[13]) << 8
                            try save("FuzzRecordDecoder", "\(name)-payload-\(index)", [UInt8(count & 0xFF), UInt8(count >> 8)] + frameBytes[48...])
                        }
                    }
                    // The first frames, as a segment with a clean end, and the same cut mid-frame (a torn tail).
                    if frames.count > 4 {
                        let end = frames[4].position
                        try save("FuzzSegmentRecovery", "\(name)-head-clean", Array(bytes[..<end]) + [UInt8](repeating: 0, count: 64))
                        let cut = frames[3].position + frames[3].length / 2
                        try save("FuzzSegmentRecovery", "\(name)-head-torn", Array(bytes[..<cut]) + [UInt8](repeating: 0, count: 64))
                    }
                }
                if number == 1 {
                    try save("FuzzSegmentRecovery", "\(name)-sealed", Array(bytes[..<dataEnd]))
                }
                if number == segments.count - 1 {
                    // The active segment's data and a little of its preallocated zeroes.
                    try save("FuzzSegmentRecovery", "\(name)-active", Array(bytes[..<min(bytes.count, dataEnd + 256)]))
                }
            }
            for (number, index) in names.filter({ $0.hasSuffix(".index") }).prefix(3).enumerated() {
                try save("FuzzIndexFile", "\(name)-index-\(number)", [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(index)"))))
            }
            try save("FuzzCheckpoint", "\(name)-checkpoint", [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(directory)/checkpoint"))))
        }
        print("seed corpus written to \(root)")
    }

    /// Frame positions and lengths, following the length fields from 0 (no checks: valid logs only).
    static func frames(_ bytes: [UInt8]) -> [(position: Int, length: Int)] {
        var frames: [(Int, Int)] = []
        var position = 0
        while position + 48 <= bytes.count {
            let length = Int(bytes[position]) | Int(bytes[position + 1]) << 8 | Int(bytes[position + 2]) << 16 | Int(bytes[position + 3]) << 24
            guard length >= 48, position + length <= bytes.count else { break }
            frames.append((position, length))
            position += (length + 7) & ~7
        }
        return frames
    }
}
