import IrisMQTT
import Testing

/// The fixed header (MQTT 3.1.1 §2.2): type, flags, remaining length, maximum packet size.
/// Faults here throw as soon as the bytes that show them have arrived.
struct FixedHeaderStrictnessTests {
    static let malformed: [Malformed] = [
        Malformed("type 0 is reserved", [0x00, 0x00], .reservedPacketType(0)),
        Malformed("type 15 is reserved", [0xF0, 0x00], .reservedPacketType(15)),
        Malformed("PUBLISH with QoS 3 [MQTT-3.3.1-4]", Wire.packet(0x36, Wire.string("a") + [0, 1]), .invalidQoS(type: .publish, field: "QoS", value: 3)),
        Malformed("PUBLISH with DUP at QoS 0 [MQTT-3.3.1-2]", Wire.packet(0x38, Wire.string("a")), .duplicateAtQoS0),
        Malformed("a fifth remaining-length byte", [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], .remainingLengthTooLong),
        Malformed("remaining length 0 in two bytes", [0xC0, 0x80, 0x00], .remainingLengthNotMinimal(byteCount: 2)),
        Malformed("remaining length 2 in three bytes", [0x40, 0x82, 0x80, 0x00, 0, 1], .remainingLengthNotMinimal(byteCount: 3)),
    ]

    @Test(arguments: malformed)
    func malformedHeaderThrows(_ packet: Malformed) {
        packet.check()
    }

    /// Every type but PUBLISH has fixed flags: 0b0010 for PUBREL, SUBSCRIBE and UNSUBSCRIBE,
    /// 0 for the rest; any other value is malformed [MQTT-2.2.2-1/-2], checked on the first byte alone.
    @Test(arguments: MQTTPacketType.allCases.filter { $0 != .publish })
    func everyOtherFlagValueIsRefused(type: MQTTPacketType) throws {
        let required: UInt8 = [.pubrel, .subscribe, .unsubscribe].contains(type) ? 0b0010 : 0
        for flags in UInt8(0)...15 where flags != required {
            #expect(throws: MQTTError.invalidFlags(type: type, flags: flags)) {
                try MQTTDecoder().decode([type.rawValue << 4 | flags])
            }
        }
        #expect(try MQTTDecoder().decode([type.rawValue << 4 | required]) == nil, "the right flags wait for more bytes")
    }

    @Test func headerFaultsThrowBeforeTheBodyArrives() {
        #expect(throws: MQTTError.reservedPacketType(0)) { try MQTTDecoder().decode([0x00]) }
        #expect(throws: MQTTError.invalidQoS(type: .publish, field: "QoS", value: 3)) { try MQTTDecoder().decode([0x36]) }
        #expect(throws: MQTTError.duplicateAtQoS0) { try MQTTDecoder().decode([0x39]) }
        let hugeDecoder = MQTTDecoder(maxPacketBytes: 268_435_460)
        #expect(throws: MQTTError.remainingLengthTooLong) { try hugeDecoder.decode([0x30, 0xFF, 0xFF, 0xFF, 0x80]) }
        #expect(throws: MQTTError.remainingLengthNotMinimal(byteCount: 2)) { try MQTTDecoder().decode([0x30, 0x80, 0x00]) }
    }

    /// A remaining length above the maximum throws with the header alone, before any body byte.
    @Test func packetTooLargeThrowsFromTheHeader() throws {
        let decoder = MQTTDecoder(maxPacketBytes: 100)
        // 2 header bytes + 99 = 101 > 100.
        #expect(throws: MQTTError.packetTooLarge(type: .publish, byteCount: 101, max: 100)) { try decoder.decode([0x30, 99]) }
        // 2 + 98 = 100: waits for the body, then decodes.
        #expect(try decoder.decode([0x30, 98]) == nil)
        let atLimit = Wire.packet(0x30, Wire.string("t") + [UInt8](repeating: 1, count: 95))
        #expect(atLimit.count == 100)
        #expect(try decoder.decode(atLimit)?.byteCount == 100)
    }

    /// With the remaining length still incomplete, the decoder throws once even its least value
    /// (the next byte non-zero, as a minimal encoding must end) is over the maximum.
    @Test func packetTooLargeThrowsFromAnIncompleteLength() throws {
        // 0x80 then at least one more byte worth ≥ 128: at least 1 + 2 + 128 = 131 bytes.
        #expect(throws: MQTTError.packetTooLarge(type: .subscribe, byteCount: 131, max: 130)) {
            try MQTTDecoder(maxPacketBytes: 130).decode([0x82, 0x80])
        }
        #expect(try MQTTDecoder(maxPacketBytes: 131).decode([0x82, 0x80]) == nil)
        // With 1 MiB: FF FF FF and one more byte ≥ 1 is at least 2,097,151 + 2,097,152 + 5.
        #expect(throws: MQTTError.packetTooLarge(type: .publish, byteCount: 4_194_308, max: 1 << 20)) {
            try MQTTDecoder().decode([0x30, 0xFF, 0xFF, 0xFF])
        }
    }
}
