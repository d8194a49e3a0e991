/// Little-endian writer of a router checkpoint (SPEC.md §16.8).
struct CheckpointWriter {
    private(set) var bytes: [UInt8] = []

    mutating func write(_ value: UInt8) { bytes.append(value) }
    mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }
    mutating func write(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func write(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func write(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func write(_ value: Int64) { write(UInt64(bitPattern: value)) }

    /// A count of what follows (4 bytes).
    mutating func writeCount(_ count: Int) {
        precondition(count >= 0 && count <= Int(UInt32.max), "checkpoint counts fit 32 bits")
        write(UInt32(count))
    }

    /// A string of at most 65,535 UTF-8 bytes after a 2-byte length: client IDs, topics and filters.
    mutating func writeString(_ value: String) {
        let utf8 = Array(value.utf8)
        precondition(utf8.count <= Int(UInt16.max), "checkpoint strings come from validated MQTT strings")
        write(UInt16(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// Bytes after a 4-byte length.
    mutating func writeBlob(_ value: [UInt8]) {
        writeCount(value.count)
        bytes.append(contentsOf: value)
    }
}
