import IrisLog

/// The node's 64-byte file records (SPEC.md §11): little-endian fields and CRC32C through
/// IrisLog's `ByteCoding` and `CRC32C`, the seal, and the checks every record shares.
enum SlotCoding {
    /// Size of every record: hard-state slot and cluster identity.
    static let recordSize = 64
    /// The CRC32C of bytes [0, 60) is stored at 60.
    static let crcPosition = 60

    static func loadUInt32(_ bytes: ArraySlice<UInt8>, at position: Int) -> UInt32 {
        bytes.withUnsafeBytes { ByteCoding.loadUInt32($0, at: position) }
    }

    static func loadUInt64(_ bytes: ArraySlice<UInt8>, at position: Int) -> UInt64 {
        bytes.withUnsafeBytes { ByteCoding.loadUInt64($0, at: position) }
    }

    static func store(_ value: UInt32, _ bytes: inout [UInt8], at position: Int) {
        bytes.withUnsafeMutableBytes { ByteCoding.store(value, $0, at: position) }
    }

    static func store(_ value: UInt64, _ bytes: inout [UInt8], at position: Int) {
        bytes.withUnsafeMutableBytes { ByteCoding.store(value, $0, at: position) }
    }

    static func crc32c(_ bytes: ArraySlice<UInt8>) -> UInt32 { CRC32C.checksum(bytes) }

    /// Seals a record: stores the CRC32C of bytes [0, 60) at 60.
    static func seal(_ record: inout [UInt8]) {
        precondition(record.count == recordSize)
        store(crc32c(record[0..<crcPosition]), &record, at: crcPosition)
    }

    /// Why a 64-byte record is not a valid record with `magic`, version 1, zero bytes in
    /// `reserved` and a matching CRC; nil when it is valid.
    static func defect(_ record: ArraySlice<UInt8>, magic: UInt32, reserved: Range<Int>) -> String? {
        guard record.count == recordSize else { return "\(record.count) bytes, not \(recordSize)" }
        if record.allSatisfy({ $0 == 0 }) { return "all zero" }
        let start = record.startIndex
        guard loadUInt32(record, at: crcPosition) == crc32c(record[start..<start + crcPosition]) else { return "CRC mismatch" }
        guard loadUInt32(record, at: 0) == magic else { return "wrong magic" }
        guard loadUInt32(record, at: 4) == 1 else { return "unknown version \(loadUInt32(record, at: 4))" }
        guard record[start + reserved.lowerBound..<start + reserved.upperBound].allSatisfy({ $0 == 0 }) else {
            return "reserved bytes not zero"
        }
        return nil
    }
}
