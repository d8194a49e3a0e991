import CIrisSystem
import IrisLog

/// libFuzzer target: `FrameDecoder.validate` then `FrameDecoder.records` on arbitrary bytes,
/// as a reader would see them at a frame position (SPEC.md §3).
///
/// Each input is tried twice: as is, and with its CRC field recomputed, so that mutations
/// reach the header, record and zstd checks behind the CRC. Invariants checked on success:
/// the header agrees with the bytes, exactly `recordCount` records with consecutive offsets
/// come out, and re-encoding them decodes to the same records.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    checkFrame(raw)
    if size >= FrameHeader.size {
        var copy = [UInt8](raw)
        copy.withUnsafeMutableBytes { bytes in
            let length = Int(bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self).littleEndian)
            guard length >= FrameHeader.size, length <= bytes.count else { return }
            let crc = iris_crc32c(0, bytes.baseAddress! + 8, length - 8)
            bytes.storeBytes(of: crc.littleEndian, toByteOffset: 4, as: UInt32.self)
        }
        copy.withUnsafeBytes { checkFrame($0) }
    }
    return 0
}

/// The limit readers apply (whatever the configuration).
private let frameBytesMax = FrameHeader.lengthMax

private func checkFrame(_ bytes: UnsafeRawBufferPointer) {
    let header: FrameHeader
    do {
        header = try FrameDecoder.validate(bytes, frameBytesMax: frameBytesMax)
    } catch {
        return
    }
    let length = Int(header.length)
    precondition(length >= FrameHeader.size && length <= bytes.count && length <= frameBytesMax)
    precondition(header.recordCount >= 1)
    precondition(iris_crc32c(0, bytes.baseAddress! + 8, length - 8) == header.crc, "validate accepted a bad CRC")
    precondition(header.codec != .none || Int(header.uncompressedLength) == length - FrameHeader.size)
    let records: [LogRecord]
    do {
        records = try FrameDecoder.records(bytes, header: header)
    } catch {
        return
    }
    precondition(records.count == Int(header.recordCount), "records() returned \(records.count) of \(header.recordCount)")
    for (index, record) in records.enumerated() {
        precondition(record.offset == header.baseOffset.advanced(by: UInt64(index)))
        precondition(record.term == header.term)
    }
    // Re-encode and decode: the same records (the original may use non-minimal varints, so
    // bytes are not compared, but the canonical encoding is never longer).
    var payload: [UInt8] = []
    RecordCodec.encode(
        records.map { Record(value: $0.value, key: $0.key, headers: $0.headers, timestampMicroseconds: $0.timestampMicroseconds) },
        timestamps: records.map(\.timestampMicroseconds), baseTimestamp: header.baseTimestamp, into: &payload)
    precondition(payload.count <= Int(header.uncompressedLength), "canonical encoding longer than the payload")
    let again: [LogRecord]
    do {
        again = try payload.withUnsafeBytes { buffer in
            try RecordCodec.decode(buffer, count: records.count, baseOffset: header.baseOffset, baseTimestamp: header.baseTimestamp, term: header.term)
        }
    } catch {
        preconditionFailure("re-encoded records do not decode: \(error)")
    }
    precondition(again == records, "re-encoded records decode differently")
}
