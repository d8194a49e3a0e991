/// Strict little-endian reader of a router checkpoint: every read past the end throws, naming the
/// byte where the field starts.
struct CheckpointReader {
    private let bytes: [UInt8]
    private(set) var position: Int
    private let end: Int

    /// Reads `bytes[start..<end]`.
    init(_ bytes: [UInt8], from start: Int, to end: Int) {
        self.bytes = bytes
        self.position = start
        self.end = end
    }

    var remaining: Int { end - position }

    mutating func readUInt8() throws(RouterCheckpointError) -> UInt8 {
        guard position < end else { throw .truncated(position: position) }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func readFlag(_ field: String) throws(RouterCheckpointError) -> Bool {
        let start = position
        switch try readUInt8() {
        case 0: return false
        case 1: return true
        case let other: throw .malformed(position: start, detail: "\(field) is \(other), not 0 or 1")
        }
    }

    mutating func readUInt16() throws(RouterCheckpointError) -> UInt16 { UInt16(truncatingIfNeeded: try readLittleEndian(2)) }
    mutating func readUInt32() throws(RouterCheckpointError) -> UInt32 { UInt32(truncatingIfNeeded: try readLittleEndian(4)) }
    mutating func readUInt64() throws(RouterCheckpointError) -> UInt64 { try readLittleEndian(8) }
    mutating func readInt64() throws(RouterCheckpointError) -> Int64 { Int64(bitPattern: try readLittleEndian(8)) }

    private mutating func readLittleEndian(_ count: Int) throws(RouterCheckpointError) -> UInt64 {
        guard remaining >= count else { throw .truncated(position: position) }
        var value: UInt64 = 0
        for index in (0..<count).reversed() { value = value << 8 | UInt64(bytes[position + index]) }
        position += count
        return value
    }

    /// A count (4 bytes) of items that take at least `itemBytes` each: more than the bytes left
    /// could hold is refused before anything is allocated.
    mutating func readCount(_ field: String, itemBytes: Int) throws(RouterCheckpointError) -> Int {
        let start = position
        let count = Int(try readUInt32())
        guard count <= remaining / max(itemBytes, 1) else {
            throw .malformed(position: start, detail: "\(field) \(count) is more than the \(remaining) bytes left can hold")
        }
        return count
    }

    mutating func readBytes(_ count: Int) throws(RouterCheckpointError) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw .truncated(position: position) }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    mutating func readString(_ field: String) throws(RouterCheckpointError) -> String {
        let start = position
        let count = Int(try readUInt16())
        guard let string = String(validating: try readBytes(count), as: UTF8.self) else {
            throw .malformed(position: start, detail: "\(field) is not valid UTF-8")
        }
        return string
    }

    mutating func readBlob() throws(RouterCheckpointError) -> [UInt8] {
        try readBytes(try readCount("blob length", itemBytes: 1))
    }
}
