import IrisMQTT
import PropertyBased
import Testing

/// Encode then decode is the identity, for random packets of every type (RandomPackets).
struct RoundTripPropertyTests {
    /// Random valid packets, each drawn from a SplitMix64 seeded by the property checker.
    static let packets = Generator<MQTTPacket, Shrink.None<MQTTPacket>> { rng in
        var generator = SplitMix64(seed: rng.next())
        return RandomPackets.packet(using: &generator)
    }

    @Test func everyPacketDecodesToItselfFromItsOwnBytes() async {
        await propertyCheck(count: 3_000, input: Self.packets) { packet in
            let encoded = packet.encoded
            let decoded = try #require(try MQTTDecoder().decode(encoded), "\(packet.type) \(hex(encoded.prefix(64)))")
            #expect(decoded.packet == packet)
            #expect(decoded.byteCount == encoded.count)
        }
    }

    @Test func encodeAppendsAfterWhatIsThere() async {
        await propertyCheck(count: 300, input: Self.packets, Self.packets) { first, second in
            var buffer: [UInt8] = [0xAA]
            first.encode(into: &buffer)
            second.encode(into: &buffer)
            #expect(buffer == [0xAA] + first.encoded + second.encoded)
        }
    }

    /// The limit counts the whole packet, fixed header included: exactly at it decodes, one
    /// byte under it throws `packetTooLarge` naming the packet's size.
    @Test func maximumPacketSizeCountsTheFixedHeader() async {
        await propertyCheck(count: 500, input: Self.packets) { packet in
            let encoded = packet.encoded
            let atLimit = try MQTTDecoder(maxPacketBytes: encoded.count).decode(encoded)
            #expect(atLimit?.packet == packet)
            guard encoded.count > 2 else { return }
            #expect(throws: MQTTError.packetTooLarge(type: packet.type, byteCount: encoded.count, max: encoded.count - 1)) {
                try MQTTDecoder(maxPacketBytes: encoded.count - 1).decode(encoded)
            }
        }
    }

    /// Remaining-length boundaries from the specification's table (MQTT 3.1.1 §2.2.3).
    @Test(arguments: [(127, "7f"), (128, "8001"), (16_383, "ff7f"), (16_384, "808001"), (2_097_151, "ffff7f"), (2_097_152, "80808001")])
    func remainingLengthIsEncodedMinimally(remainingLength: Int, expected: String) throws {
        // A QoS 0 PUBLISH to "t" has 3 bytes of variable header; the payload makes up the rest.
        let packet = MQTTPacket.publish(Publish(topic: name("t"), payload: [UInt8](repeating: 7, count: remainingLength - 3), qos: .atMostOnce))
        let encoded = packet.encoded
        #expect(hex(encoded[1..<1 + expected.count / 2]) == expected)
        let decoded = try #require(try MQTTDecoder(maxPacketBytes: 3 << 20).decode(encoded))
        #expect(decoded.packet == packet && decoded.byteCount == encoded.count)
    }

    /// The largest remaining length, 268,435,455 (FF FF FF 7F), parses: the decoder waits for the body.
    @Test func largestRemainingLengthParses() throws {
        let header: [UInt8] = [0x30, 0xFF, 0xFF, 0xFF, 0x7F]
        #expect(try MQTTDecoder(maxPacketBytes: 268_435_460).decode(header) == nil)
        #expect(throws: MQTTError.packetTooLarge(type: .publish, byteCount: 268_435_460, max: 268_435_459)) {
            try MQTTDecoder(maxPacketBytes: 268_435_459).decode(header)
        }
    }
}
