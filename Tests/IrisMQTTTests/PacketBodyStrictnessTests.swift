import IrisMQTT
import Testing

/// PUBLISH, the acknowledgements, SUBSCRIBE, SUBACK, UNSUBSCRIBE and the empty packets
/// (MQTT 3.1.1 §3.3-§3.14): every rule a decoder can check.
struct PacketBodyStrictnessTests {
    static let malformed: [Malformed] = [
        Malformed("PUBLISH QoS 1 with packet identifier 0 [MQTT-2.3.1-1]", Wire.packet(0x32, Wire.string("a") + [0, 0]), .zeroPacketID(type: .publish)),
        Malformed("PUBLISH QoS 2 with packet identifier 0", Wire.packet(0x34, Wire.string("a") + [0, 0, 9]), .zeroPacketID(type: .publish)),
        Malformed("PUBLISH QoS 1 without packet identifier", Wire.packet(0x32, Wire.string("a")), .truncated(type: .publish, field: "packet identifier")),
        Malformed("PUBLISH topic with '+' [MQTT-3.3.2-2]", Wire.packet(0x30, Wire.string("a/+")), .invalidTopicName("a/+", .wildcardInName)),
        Malformed("PUBLISH topic with '#'", Wire.packet(0x30, Wire.string("#")), .invalidTopicName("#", .wildcardInName)),
        Malformed("PUBLISH empty topic [MQTT-4.7.3-1]", Wire.packet(0x30, Wire.string("") + [1]), .invalidTopicName("", .empty)),
        Malformed("PUBLISH topic with U+0000 [MQTT-4.7.3-2]", Wire.packet(0x30, Wire.prefixed([0x61, 0])), .nullCharacter(type: .publish, field: "topic name")),
        Malformed("PUBLISH topic not UTF-8", Wire.packet(0x30, Wire.prefixed([0xFF])), .invalidUTF8(type: .publish, field: "topic name")),
        Malformed("PUBLISH topic length past the packet", Wire.packet(0x30, Wire.uint16(4) + [0x61]), .truncated(type: .publish, field: "topic name")),
        Malformed("PUBLISH with 1 byte of topic length", Wire.packet(0x30, [0]), .truncated(type: .publish, field: "topic name length")),
        Malformed("PUBACK with packet identifier 0", Wire.packet(0x40, [0, 0]), .zeroPacketID(type: .puback)),
        Malformed("PUBREC with packet identifier 0", Wire.packet(0x50, [0, 0]), .zeroPacketID(type: .pubrec)),
        Malformed("PUBREL with packet identifier 0", Wire.packet(0x62, [0, 0]), .zeroPacketID(type: .pubrel)),
        Malformed("PUBCOMP with packet identifier 0", Wire.packet(0x70, [0, 0]), .zeroPacketID(type: .pubcomp)),
        Malformed("UNSUBACK with packet identifier 0", Wire.packet(0xB0, [0, 0]), .zeroPacketID(type: .unsuback)),
        Malformed("PUBACK with 1 byte", Wire.packet(0x40, [1]), .truncated(type: .puback, field: "packet identifier")),
        Malformed("PUBACK with 3 bytes", Wire.packet(0x40, [0, 1, 0]), .trailingBytes(type: .puback, count: 1)),
        Malformed("PUBCOMP with 4 bytes", Wire.packet(0x70, [0, 1, 0, 0]), .trailingBytes(type: .pubcomp, count: 2)),
        Malformed("PINGREQ with a body", Wire.packet(0xC0, [0]), .trailingBytes(type: .pingreq, count: 1)),
        Malformed("PINGRESP with a body", Wire.packet(0xD0, [0, 0]), .trailingBytes(type: .pingresp, count: 2)),
        Malformed("DISCONNECT with a body", Wire.packet(0xE0, [0]), .trailingBytes(type: .disconnect, count: 1)),
        Malformed("SUBSCRIBE without a filter [MQTT-3.8.3-3]", Wire.packet(0x82, [0, 1]), .noEntries(type: .subscribe)),
        Malformed("SUBSCRIBE with packet identifier 0", Wire.packet(0x82, [0, 0] + Wire.string("a") + [0]), .zeroPacketID(type: .subscribe)),
        Malformed(
            "SUBSCRIBE requested QoS 3 [MQTT-3.8.3-4]", Wire.packet(0x82, [0, 1] + Wire.string("a") + [3]),
            .invalidQoS(type: .subscribe, field: "requested QoS", value: 3)
        ),
        Malformed("SUBSCRIBE reserved bits [MQTT-3.8.3-4]", Wire.packet(0x82, [0, 1] + Wire.string("a") + [0x41]), .subscriptionReservedBits(0x41)),
        Malformed(
            "SUBSCRIBE second filter without QoS", Wire.packet(0x82, [0, 1] + Wire.string("a") + [1] + Wire.string("b")),
            .truncated(type: .subscribe, field: "requested QoS")
        ),
        Malformed(
            "SUBSCRIBE '#' not last [MQTT-4.7.1-2]", Wire.packet(0x82, [0, 1] + Wire.string("a/#/b") + [0]),
            .invalidTopicFilter("a/#/b", .multiLevelWildcardMisplaced)
        ),
        Malformed(
            "SUBSCRIBE '+' sharing a level [MQTT-4.7.1-3]", Wire.packet(0x82, [0, 1] + Wire.string("a/b+") + [0]),
            .invalidTopicFilter("a/b+", .singleLevelWildcardMisplaced)
        ),
        Malformed("SUBSCRIBE empty filter", Wire.packet(0x82, [0, 1] + Wire.string("") + [0]), .invalidTopicFilter("", .empty)),
        Malformed(
            "SUBSCRIBE filter not UTF-8", Wire.packet(0x82, [0, 1] + Wire.prefixed([0xE4, 0xB8]) + [0]),
            .invalidUTF8(type: .subscribe, field: "topic filter")
        ),
        Malformed("SUBACK without a return code", Wire.packet(0x90, [0, 1]), .noEntries(type: .suback)),
        Malformed("SUBACK return code 3 [MQTT-3.9.3-2]", Wire.packet(0x90, [0, 1, 0, 3]), .unknownSubscribeReturnCode(3)),
        Malformed("SUBACK return code 0x81", Wire.packet(0x90, [0, 1, 0x81]), .unknownSubscribeReturnCode(0x81)),
        Malformed("SUBACK with packet identifier 0", Wire.packet(0x90, [0, 0, 0]), .zeroPacketID(type: .suback)),
        Malformed("UNSUBSCRIBE without a filter [MQTT-3.10.3-2]", Wire.packet(0xA2, [0, 1]), .noEntries(type: .unsubscribe)),
        Malformed("UNSUBSCRIBE with packet identifier 0", Wire.packet(0xA2, [0, 0] + Wire.string("a")), .zeroPacketID(type: .unsubscribe)),
        Malformed(
            "UNSUBSCRIBE '#' sharing a level", Wire.packet(0xA2, [0, 1] + Wire.string("a#")),
            .invalidTopicFilter("a#", .multiLevelWildcardMisplaced)
        ),
        Malformed(
            "UNSUBSCRIBE filter length past the packet", Wire.packet(0xA2, [0, 1] + Wire.string("a") + Wire.uint16(9)),
            .truncated(type: .unsubscribe, field: "topic filter")
        ),
    ]

    @Test(arguments: malformed)
    func malformedBodyThrows(_ packet: Malformed) {
        packet.check()
    }

    /// Each error says what was wrong in its own words: no two cases of the tables share a log line.
    @Test func descriptionsAreDistinct() {
        let errors = PacketBodyStrictnessTests.malformed.map(\.error) + ConnectStrictnessTests.malformed.map(\.error)
            + FixedHeaderStrictnessTests.malformed.map(\.error)
        var seen: [String: MQTTError] = [:]
        for error in errors {
            let line = error.description
            #expect(!line.isEmpty)
            if let other = seen[line] { #expect(other == error, "\(other) and \(error) both say \(line)") }
            seen[line] = error
        }
    }

    /// A PUBLISH payload is whatever follows the variable header, empty included.
    @Test func publishPayloadIsTheRest() throws {
        let decoded = try #require(try MQTTDecoder().decode(Wire.packet(0x32, Wire.string("a") + [0, 5] + [0, 0xFF, 0x30])))
        #expect(decoded.packet == .publish(Publish(topic: name("a"), payload: [0, 0xFF, 0x30], qos: .atLeastOnce, packetID: 5)))
    }
}
