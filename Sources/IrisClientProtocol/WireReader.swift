import IrisLog

/// Reads little-endian fields from a frame body; every read checks the bytes left first, so
/// arbitrary input yields a typed error, never a trap or an allocation beyond the frame.
struct WireReader {
    private let bytes: [UInt8]
    private(set) var position: Int
    let limits: ClientProtocolLimits

    init(_ bytes: [UInt8], position: Int, limits: ClientProtocolLimits) {
        self.bytes = bytes
        self.position = position
        self.limits = limits
    }

    var remaining: Int { bytes.count - position }

    private mutating func fixed<T: FixedWidthInteger>(_ type: T.Type, _ field: String) throws(ClientProtocolError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw .truncated(field: field) }
        var value: T = 0
        for index in 0..<size { value |= T(truncatingIfNeeded: bytes[position + index]) << (8 * index) }
        position += size
        return value
    }

    mutating func u8(_ field: String) throws(ClientProtocolError) -> UInt8 { try fixed(UInt8.self, field) }
    mutating func u16(_ field: String) throws(ClientProtocolError) -> UInt16 { try fixed(UInt16.self, field) }
    mutating func u32(_ field: String) throws(ClientProtocolError) -> UInt32 { try fixed(UInt32.self, field) }
    mutating func u64(_ field: String) throws(ClientProtocolError) -> UInt64 { try fixed(UInt64.self, field) }

    mutating func raw(_ count: Int, _ field: String) throws(ClientProtocolError) -> [UInt8] {
        guard count <= remaining else { throw .truncated(field: field) }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    /// u32 length, then that many bytes.
    mutating func blob(_ field: String) throws(ClientProtocolError) -> [UInt8] {
        try raw(Int(try u32(field + " length")), field)
    }

    /// u16 length, then that many bytes of UTF-8, at most `limits.stringBytesMax`.
    mutating func string(_ field: String) throws(ClientProtocolError) -> String {
        let count = Int(try u16(field + " length"))
        guard count <= limits.stringBytesMax else { throw .limitExceeded(field: field + " length", value: count, max: limits.stringBytesMax) }
        guard let text = String(validating: try raw(count, field), as: UTF8.self) else { throw .invalidUTF8(field: field) }
        return text
    }

    /// A count of items of at least `minimumBytes` each, checked against `max` and against the
    /// bytes left, so no array is sized from an unchecked count.
    mutating func count(_ value: Int, _ field: String, minimumBytes: Int, max: Int) throws(ClientProtocolError) -> Int {
        guard value <= max else { throw .limitExceeded(field: field, value: value, max: max) }
        guard value <= remaining / minimumBytes else { throw .truncated(field: field) }
        return value
    }

    /// A record's key, value and headers (`WireWriter.recordContent`).
    mutating func recordContent() throws(ClientProtocolError) -> (key: [UInt8]?, value: [UInt8], headers: [RecordHeader]) {
        let keyLength = try u32("key length")
        let key: [UInt8]? = keyLength == UInt32.max ? nil : try raw(Int(keyLength), "key")
        let value = try blob("value")
        let headerCount = try count(Int(try u16("header count")), "header count", minimumBytes: 6, max: Int(UInt16.max))
        var headers: [RecordHeader] = []
        headers.reserveCapacity(headerCount)
        for _ in 0..<headerCount {
            let name = try string("header name")
            headers.append(RecordHeader(name: name, value: try blob("header value")))
        }
        return (key, value, headers)
    }

    func finish() throws(ClientProtocolError) {
        if remaining > 0 { throw .trailingBytes(count: remaining) }
    }
}
