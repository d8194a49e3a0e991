/// Unsigned LEB128 varints: 7 bits per byte, low bits first, the high bit set on every byte but
/// the last. Offsets deltas in `OffsetBlock` and numbers in the serialised `TopicIndex` use it.
enum LEB128 {
    /// The most bytes a `UInt64` takes (⌈64 / 7⌉).
    static let bytesMax = 10

    /// Appends the canonical (shortest) encoding of `value` to `bytes`.
    static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// The number of bytes `append` writes for `value`.
    static func size(of value: UInt64) -> Int {
        max(1, (64 - value.leadingZeroBitCount + 6) / 7)
    }

    /// Decodes the varint at `position` of bytes this process encoded itself (an in-memory block),
    /// and moves `position` past it.
    static func decodeTrusted(_ bytes: [UInt8], at position: inout Int) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }
}
