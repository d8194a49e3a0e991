/// Appends MQTT fields (big-endian integers, length-prefixed strings and bytes) to a buffer.
/// Lengths the types cannot bound are checked with `precondition`: encoding never fails at run
/// time, and writing a field that cannot be represented is a programming error.
struct MQTTWriter {
    /// The largest remaining length four bytes can encode (MQTT 3.1.1 §2.2.3).
    static let remainingLengthMax = 268_435_455

    /// Bytes `fixedHeader(type:flags:remainingLength:)` writes for `remainingLength`.
    static func remainingLengthByteCount(_ remainingLength: Int) -> Int {
        switch remainingLength {
        case ..<128: return 1
        case ..<16_384: return 2
        case ..<2_097_152: return 3
        default: return 4
        }
    }

    /// Bytes of a 2-byte-length-prefixed field holding `count` bytes.
    static func prefixedByteCount(_ count: Int, _ field: StaticString) -> Int {
        precondition(count <= Int(UInt16.max), "MQTT \(field) longer than 65,535 bytes")
        return 2 + count
    }

    static func appendFixedHeader(_ bytes: inout [UInt8], type: MQTTPacketType, flags: UInt8, remainingLength: Int) {
        precondition(remainingLength <= remainingLengthMax, "MQTT \(type) over 268,435,455 bytes")
        // Sized once for a fresh buffer (`encoded`); a buffer that is appended to keeps the
        // array's geometric growth (reserving on every append would copy quadratically).
        if bytes.isEmpty { bytes.reserveCapacity(1 + remainingLengthByteCount(remainingLength) + remainingLength) }
        bytes.append(type.rawValue << 4 | flags)
        var value = remainingLength
        repeat {
            let digit = UInt8(value & 0x7F)
            value >>= 7
            bytes.append(value > 0 ? digit | 0x80 : digit)
        } while value > 0
    }

    static func appendUInt16(_ bytes: inout [UInt8], _ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    static func appendPacketID(_ bytes: inout [UInt8], _ packetID: UInt16, _ type: MQTTPacketType) {
        precondition(packetID != 0, "MQTT \(type) with packet identifier 0")
        appendUInt16(&bytes, packetID)
    }

    /// A 2-byte length, then the bytes (length checked by `prefixedByteCount` beforehand).
    static func appendPrefixed(_ bytes: inout [UInt8], _ field: some Collection<UInt8>) {
        appendUInt16(&bytes, UInt16(field.count))
        bytes.append(contentsOf: field)
    }
}
