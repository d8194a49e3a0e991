import IrisLog

/// libFuzzer target: `RecordCodec.decode` on an arbitrary (uncompressed) frame payload
/// (SPEC.md §3.3). Input: u16 little-endian record count, then the payload.
///
/// Invariants checked on success: exactly `count` records with offsets base, base+1, ...;
/// the canonical re-encoding is no longer than the payload and decodes to the same records.
/// When the input's encoding is canonical (the re-encoding has the same length), the bytes
/// must be identical.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let count = Int(data[0]) | Int(data[1]) << 8
    let payload = UnsafeRawBufferPointer(start: data + 2, count: size - 2)
    let baseOffset = Offset(1000)
    let baseTimestamp: Int64 = 1_700_000_000_000_000
    let term = Term(7)
    let records: [LogRecord]
    do {
        records = try RecordCodec.decode(payload, count: count, baseOffset: baseOffset, baseTimestamp: baseTimestamp, term: term)
    } catch {
        return 0
    }
    precondition(records.count == count, "decode returned \(records.count) of \(count) records")
    for (index, record) in records.enumerated() {
        precondition(record.offset == baseOffset.advanced(by: UInt64(index)) && record.term == term)
    }
    var encoded: [UInt8] = []
    RecordCodec.encode(
        records.map { Record(value: $0.value, key: $0.key, headers: $0.headers, timestampMicroseconds: $0.timestampMicroseconds) },
        timestamps: records.map(\.timestampMicroseconds), baseTimestamp: baseTimestamp, into: &encoded)
    precondition(encoded.count <= payload.count, "canonical encoding longer than the input")
    if encoded.count == payload.count {
        precondition(encoded.elementsEqual(payload), "same-length re-encoding differs from the input")
    }
    let again: [LogRecord]
    do {
        again = try encoded.withUnsafeBytes { buffer in
            try RecordCodec.decode(buffer, count: count, baseOffset: baseOffset, baseTimestamp: baseTimestamp, term: term)
        }
    } catch {
        preconditionFailure("re-encoded records do not decode: \(error)")
    }
    precondition(again == records, "re-encoded records decode differently")
    return 0
}
