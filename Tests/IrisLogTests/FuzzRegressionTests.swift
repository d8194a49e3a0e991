import Foundation
import Testing
@testable import IrisLog

/// Inputs that once crashed a fuzz target (Fuzz/regressions/<target>/), replayed the way the
/// target fed them (with checksums recomputed so the decoders go past them).
struct FuzzRegressionTests {
    static func inputs(_ target: String) -> [[UInt8]] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Fuzz/regressions/\(target)").standardized
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().compactMap { try? [UInt8](Data(contentsOf: folder.appendingPathComponent($0))) }
    }

    @Test func frameWhoseOffsetsOverflowIsRejectedNotATrap() throws {
        let inputs = Self.inputs("FuzzFrameDecoder")
        #expect(!inputs.isEmpty, "regression inputs not found")
        for var input in inputs {
            let length = Int(input.withUnsafeBytes { ByteCoding.loadUInt32($0, at: 0) })
            try #require(length <= input.count)
            let crc = CRC32C.checksum(input[8..<length])
            input.withUnsafeMutableBytes { ByteCoding.store(crc, $0, at: 4) }
            let result = input.withUnsafeBytes { buffer in
                Result { () throws(FrameDefect) in try FrameDecoder.validate(buffer, frameBytesMax: FrameHeader.lengthMax) }
            }
            guard case .failure(.outOfSequence) = result else { Issue.record("expected outOfSequence, got \(result)"); continue }
        }
    }

    @Test func indexWhoseOffsetsOverflowIsRejectedNotATrap() {
        let inputs = Self.inputs("FuzzIndexFile")
        #expect(!inputs.isEmpty, "regression inputs not found")
        for var input in inputs where input.count >= IndexFile.footerSize {
            let count = input.count
            let crc = CRC32C.checksum(input[..<(count - 4)])
            input.withUnsafeMutableBytes { ByteCoding.store(crc, $0, at: count - 4) }
            let next = input.withUnsafeBytes { ByteCoding.loadUInt64($0, at: count - 40) }
            for base in [Offset(0), Offset(next &- 1)] {
                guard let (index, summary) = try? IndexFile.decode(input, baseOffset: base, intervalBytes: 4096) else { continue }
                for entry in index.entries {
                    #expect((entry >> 32) < summary.nextOffset.rawValue - base.rawValue)
                }
            }
        }
    }
}
