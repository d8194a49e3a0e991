/// A packet's fixed header (MQTT 3.1.1 §2.2): type, flags and where the packet ends.
struct FixedHeader {
    let type: MQTTPacketType
    /// The first byte's low four bits, already checked against the type.
    let flags: UInt8
    /// Where the body starts: after the first byte and the remaining length.
    let bodyStart: Int
    /// The whole packet's size, fixed header included.
    let packetByteCount: Int

    /// The largest remaining length has 4 bytes (MQTT 3.1.1 §2.2.3).
    private static let remainingLengthBytesMax = 4

    /// Parses the fixed header at the front of `bytes`: nil when more bytes are needed. Throws
    /// as soon as the bytes present show a fault, a packet over `maxPacketBytes` included (when
    /// the length is still incomplete, from the least it can be).
    static func parse(_ bytes: UnsafeRawBufferPointer, maxPacketBytes: Int) throws(MQTTError) -> FixedHeader? {
        guard let first = bytes.first else { return nil }
        let type = try packetType(first)
        var remainingLength = 0
        var multiplier = 1
        for index in 1...remainingLengthBytesMax {
            guard index < bytes.count else {
                // More length bytes follow. A minimal encoding ends on a non-zero byte, so the
                // value is at least `multiplier` more than the digits read so far.
                let byteCountMin = index + 1 + remainingLength + (index == 1 ? 0 : multiplier)
                if byteCountMin > maxPacketBytes { throw .packetTooLarge(type: type, byteCount: byteCountMin, max: maxPacketBytes) }
                return nil
            }
            let byte = bytes[index]
            remainingLength += Int(byte & 0x7F) * multiplier
            if byte & 0x80 == 0 {
                if index > 1 && byte == 0 { throw .remainingLengthNotMinimal(byteCount: index) }
                let packetByteCount = index + 1 + remainingLength
                if packetByteCount > maxPacketBytes { throw .packetTooLarge(type: type, byteCount: packetByteCount, max: maxPacketBytes) }
                return FixedHeader(type: type, flags: first & 0x0F, bodyStart: index + 1, packetByteCount: packetByteCount)
            }
            multiplier *= 128
        }
        throw .remainingLengthTooLong
    }

    /// The type in the first byte, with its flags checked [MQTT-2.2.2-2, 3.3.1-2, 3.3.1-4].
    private static func packetType(_ first: UInt8) throws(MQTTError) -> MQTTPacketType {
        guard let type = MQTTPacketType(rawValue: first >> 4) else { throw .reservedPacketType(first >> 4) }
        let flags = first & 0x0F
        if let required = type.requiredFlags {
            if flags != required { throw .invalidFlags(type: type, flags: flags) }
            return type
        }
        let qos = flags >> 1 & 0b11
        if qos == 3 { throw .invalidQoS(type: .publish, field: "QoS", value: qos) }
        if qos == 0 && flags & PublishFlags.duplicate != 0 { throw .duplicateAtQoS0 }
        return type
    }
}

/// Bits of a PUBLISH's fixed-header flags (MQTT 3.1.1 §3.3.1).
enum PublishFlags {
    static let retain: UInt8 = 0b0001
    static let qosShift: UInt8 = 1
    static let duplicate: UInt8 = 0b1000
}
