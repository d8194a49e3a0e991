/// Little-endian fixed-width integers and LEB128 varints, the only integer encodings on disk.
package enum ByteCoding {
    static func loadUInt16(_ bytes: UnsafeRawBufferPointer, at position: Int) -> UInt16 {
        UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt16.self))
    }
    package static func loadUInt32(_ bytes: UnsafeRawBufferPointer, at position: Int) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self))
    }
    package static func loadUInt64(_ bytes: UnsafeRawBufferPointer, at position: Int) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    }
    static func store(_ value: UInt16, _ bytes: UnsafeMutableRawBufferPointer, at position: Int) {
        bytes.storeBytes(of: value.littleEndian, toByteOffset: position, as: UInt16.self)
    }
    package static func store(_ value: UInt32, _ bytes: UnsafeMutableRawBufferPointer, at position: Int) {
        bytes.storeBytes(of: value.littleEndian, toByteOffset: position, as: UInt32.self)
    }
    package static func store(_ value: UInt64, _ bytes: UnsafeMutableRawBufferPointer, at position: Int) {
        bytes.storeBytes(of: value.littleEndian, toByteOffset: position, as: UInt64.self)
    }

    static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    static func varintSize(_ value: UInt64) -> Int {
        var value = value
        var size = 1
        while value >= 0x80 { value >>= 7; size += 1 }
        return size
    }

    static func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }
    static func unzigzag(_ value: UInt64) -> Int64 { Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1) }
}

/// A cursor that writes into a buffer sized beforehand; writing past its end is a bug.
struct ByteWriter {
    let bytes: UnsafeMutableRawBufferPointer
    private(set) var position = 0

    init(_ bytes: UnsafeMutableRawBufferPointer) { self.bytes = bytes }

    mutating func writeVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            writeByte(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        writeByte(UInt8(value))
    }

    mutating func writeBytes(_ source: some Collection<UInt8>) {
        let count = source.count
        precondition(count <= bytes.count - position, "ByteWriter overflow")
        UnsafeMutableRawBufferPointer(rebasing: bytes[position..<position + count]).copyBytes(from: source)
        position += count
    }

    private mutating func writeByte(_ byte: UInt8) {
        precondition(position < bytes.count, "ByteWriter overflow")
        bytes[position] = byte
        position += 1
    }
}

/// A cursor over bytes that never reads past its end: every read returns nil on short input,
/// so a decoder fed arbitrary bytes produces a typed error instead of a crash.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var position: Int

    init(_ bytes: UnsafeRawBufferPointer, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    var remaining: Int { bytes.count - position }

    /// Reads an unsigned LEB128 varint of at most 10 bytes.
    mutating func readVarint() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if shift == 63 && byte > 1 { return nil }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { return nil }
        }
        return nil
    }

    /// Steps over `count` bytes; returns where they are, nil when fewer remain.
    mutating func skip(count: Int) -> Range<Int>? {
        guard count >= 0, count <= remaining else { return nil }
        defer { position += count }
        return position..<position + count
    }

    mutating func readBytes(count: Int) -> [UInt8]? {
        guard count >= 0, count <= remaining else { return nil }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
        position += count
        return [UInt8](slice)
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` for closures with a typed error (the standard one rethrows untyped).
    func withBytes<T, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> T) throws(E) -> T {
        let result: Result<T, E> = withUnsafeBytes { buffer in Result { () throws(E) -> T in try body(buffer) } }
        return try result.get()
    }
}
