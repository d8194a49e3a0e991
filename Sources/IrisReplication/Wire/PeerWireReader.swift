/// A cursor over one received peer frame, or one message body inside it, that never reads past
/// its end: every read checks the bytes left first and throws `PeerWireError.fieldBeyondEnd`
/// naming the field, so no input can make the decoder trap. Positions are byte positions in
/// the frame.
struct PeerWireReader {
    private let bytes: [UInt8]
    private(set) var position: Int
    private let end: Int

    /// A cursor over `bytes[position..<end]`.
    init(_ bytes: [UInt8], position: Int, end: Int) {
        precondition(0 <= position && position <= end && end <= bytes.count, "a reader stays inside its bytes")
        self.bytes = bytes
        self.position = position
        self.end = end
    }

    var bytesLeft: Int { end - position }

    /// Throws unless `count` more bytes are there; for a field or for what a count announces.
    func require(_ count: UInt64, for field: StaticString) throws(PeerWireError) {
        guard count <= UInt64(bytesLeft) else {
            throw .fieldBeyondEnd(field: "\(field)", position: position, bytesNeeded: count, bytesLeft: bytesLeft)
        }
    }

    /// Throws unless every byte has been read.
    func expectEnd(after what: StaticString) throws(PeerWireError) {
        guard bytesLeft == 0 else { throw .trailingBytes(after: "\(what)", position: position, count: bytesLeft) }
    }

    mutating func readUInt8(_ field: StaticString) throws(PeerWireError) -> UInt8 {
        try require(1, for: field)
        defer { position += 1 }
        return bytes[position]
    }

    mutating func readBool(_ field: StaticString) throws(PeerWireError) -> Bool {
        let start = position
        let value = try readUInt8(field)
        guard value <= 1 else { throw .invalidBoolean(field: "\(field)", position: start, value: value) }
        return value == 1
    }

    mutating func readUInt16(_ field: StaticString) throws(PeerWireError) -> UInt16 {
        UInt16(truncatingIfNeeded: try readLittleEndian(byteCount: 2, field))
    }

    mutating func readUInt32(_ field: StaticString) throws(PeerWireError) -> UInt32 {
        UInt32(truncatingIfNeeded: try readLittleEndian(byteCount: 4, field))
    }

    mutating func readUInt64(_ field: StaticString) throws(PeerWireError) -> UInt64 {
        try readLittleEndian(byteCount: 8, field)
    }

    /// The next `count` bytes, copied; `count` is checked against the bytes left first, so a
    /// length read from the wire never allocates more than the input holds.
    mutating func readBytes(count: UInt32, _ field: StaticString) throws(PeerWireError) -> [UInt8] {
        try require(UInt64(count), for: field)
        defer { position += Int(count) }
        return Array(bytes[position..<position + Int(count)])
    }

    /// A cursor over the next `count` bytes (a message body), which this cursor then skips.
    mutating func readRegion(count: UInt32, _ field: StaticString) throws(PeerWireError) -> PeerWireReader {
        try require(UInt64(count), for: field)
        defer { position += Int(count) }
        return PeerWireReader(bytes, position: position, end: position + Int(count))
    }

    private mutating func readLittleEndian(byteCount: Int, _ field: StaticString) throws(PeerWireError) -> UInt64 {
        try require(UInt64(byteCount), for: field)
        var value: UInt64 = 0
        for index in 0..<byteCount { value |= UInt64(bytes[position + index]) << (8 * index) }
        position += byteCount
        return value
    }
}
