import IrisLog

/// Appends little-endian fields to a byte array (SPEC.md §12.2).
struct WireWriter {
    /// Strings longer than this are cut at a character boundary: a reason or address is
    /// for people, and a decoder with the default limits accepts every string written.
    static let stringBytesMax = 4_096

    var bytes: [UInt8]

    init(_ bytes: [UInt8] = []) { self.bytes = bytes }

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }

    /// u32 length, then the bytes.
    mutating func blob(_ value: [UInt8]) {
        precondition(value.count < Int(UInt32.max), "a key or value of 4 GiB cannot be sent")
        u32(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    /// u16 length, then the UTF-8 bytes (cut at `stringBytesMax` on a character boundary).
    mutating func string(_ value: String) {
        var utf8 = Array(value.utf8)
        if utf8.count > Self.stringBytesMax {
            var end = Self.stringBytesMax
            while end > 0 && utf8[end] & 0xC0 == 0x80 { end -= 1 }
            utf8 = Array(utf8[..<end])
        }
        u16(UInt16(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// A record's key (u32 length, 0xFFFFFFFF = none), value and headers.
    mutating func recordContent(key: [UInt8]?, value: [UInt8], headers: [RecordHeader]) {
        if let key { blob(key) } else { u32(UInt32.max) }
        blob(value)
        precondition(headers.count <= Int(UInt16.max), "more than 65,535 headers")
        u16(UInt16(headers.count))
        for header in headers {
            string(header.name)
            blob(header.value)
        }
    }
}
