/// Big-endian writer for router record bodies (SPEC.md §16.2).
struct RecordBytesWriter {
    private(set) var bytes: [UInt8] = []

    mutating func write(_ value: UInt8) { bytes.append(value) }

    mutating func write(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    mutating func write(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func write(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    /// A string of at most 65,535 UTF-8 bytes, after a 2-byte length (MQTT strings are bounded so).
    mutating func writeString(_ value: String) {
        let utf8 = Array(value.utf8)
        precondition(utf8.count <= Int(UInt16.max), "router strings come from validated MQTT strings")
        write(UInt16(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// Bytes after a 4-byte length.
    mutating func writeBlob(_ value: [UInt8]) {
        write(UInt32(value.count))
        bytes.append(contentsOf: value)
    }
}

/// Strict reader of router record bodies: every read past the end or malformed string throws.
struct RecordBytesReader {
    private let bytes: [UInt8]
    private var position = 0
    private let kind: RouterRecordKind

    init(_ bytes: [UInt8], kind: RouterRecordKind) {
        self.bytes = bytes
        self.kind = kind
    }

    var isAtEnd: Bool { position == bytes.count }

    mutating func readUInt8() throws(RouterRecordError) -> UInt8 {
        guard position < bytes.count else { throw .truncated(kind) }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func readUInt16() throws(RouterRecordError) -> UInt16 {
        UInt16(try readUInt8()) << 8 | UInt16(try readUInt8())
    }

    mutating func readUInt32() throws(RouterRecordError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 { value = value << 8 | UInt32(try readUInt8()) }
        return value
    }

    mutating func readUInt64() throws(RouterRecordError) -> UInt64 {
        var value: UInt64 = 0
        for _ in 0..<8 { value = value << 8 | UInt64(try readUInt8()) }
        return value
    }

    mutating func readBytes(_ count: Int) throws(RouterRecordError) -> [UInt8] {
        guard count >= 0, bytes.count - position >= count else { throw .truncated(kind) }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    mutating func readString() throws(RouterRecordError) -> String {
        let count = Int(try readUInt16())
        let utf8 = try readBytes(count)
        guard let string = String(validating: utf8, as: UTF8.self) else { throw .invalidString(kind) }
        return string
    }

    mutating func readBlob() throws(RouterRecordError) -> [UInt8] {
        try readBytes(Int(try readUInt32()))
    }

    /// Every body must be read to its last byte.
    func finish() throws(RouterRecordError) {
        guard isAtEnd else { throw .trailingBytes(kind, count: bytes.count - position) }
    }
}
