/// Reads the fields of a serialised `TopicIndex`, checking each: every failure is a
/// `TopicIndexError` naming the byte position, never a trap.
struct TopicIndexReader {
    /// The input.
    private let bytes: [UInt8]
    /// The next byte to read.
    private(set) var position = 0

    /// A reader at the start of `bytes`.
    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Bytes not read yet.
    var remaining: Int { bytes.count - position }

    /// One byte.
    mutating func byte() throws(TopicIndexError) -> UInt8 {
        guard position < bytes.count else { throw .truncated(position: position) }
        defer { position += 1 }
        return bytes[position]
    }

    /// `count` bytes.
    mutating func bytes(_ count: Int) throws(TopicIndexError) -> ArraySlice<UInt8> {
        guard count <= remaining else { throw .truncated(position: position) }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    /// A little-endian u64.
    mutating func uint64() throws(TopicIndexError) -> UInt64 {
        try bytes(8).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A canonical LEB128 varint: at most 10 bytes, no bits beyond 64, no redundant zero byte.
    mutating func varint() throws(TopicIndexError) -> UInt64 {
        let start = position
        var value: UInt64 = 0
        for index in 0..<LEB128.bytesMax {
            let byte = try self.byte()
            let payload = UInt64(byte & 0x7F)
            if index == LEB128.bytesMax - 1 && byte > 1 {
                throw .malformed(position: start, detail: "varint longer than 64 bits")
            }
            value |= payload << UInt64(7 * index)
            if byte < 0x80 {
                if byte == 0 && index > 0 {
                    throw .malformed(position: start, detail: "varint not in its shortest form")
                }
                return value
            }
        }
        throw .malformed(position: start, detail: "varint longer than 64 bits")
    }

    /// A varint that must be at most `maximum`, as an `Int`; `field` names it in the error.
    mutating func count(atMost maximum: Int, _ field: String) throws(TopicIndexError) -> Int {
        let start = position
        let value = try varint()
        guard value <= UInt64(maximum) else {
            throw .malformed(position: start, detail: "\(field) \(value) exceeds \(maximum)")
        }
        return Int(value)
    }
}
