import IrisMQTT
import Testing

/// CONNECT and CONNACK (MQTT 3.1.1 §3.1, §3.2): every rule a decoder can check.
struct ConnectStrictnessTests {
    static let clientID = Wire.string("c")

    static let malformed: [Malformed] = [
        Malformed("protocol name other than MQTT [MQTT-3.1.2-1]", Wire.connect(name: "hj", flags: 0x02, payload: clientID), .invalidProtocolName("hj")),
        Malformed("protocol name in the wrong case", Wire.connect(name: "mqtt", flags: 0x02, payload: clientID), .invalidProtocolName("mqtt")),
        Malformed("reserved flag set [MQTT-3.1.2-3]", Wire.connect(flags: 0x03, payload: clientID), .connectReservedFlagSet(flags: 0x03)),
        Malformed("will QoS without will flag [MQTT-3.1.2-13]", Wire.connect(flags: 0x0A, payload: clientID), .willFlagsWithoutWill(flags: 0x0A)),
        Malformed("will retain without will flag [MQTT-3.1.2-15]", Wire.connect(flags: 0x22, payload: clientID), .willFlagsWithoutWill(flags: 0x22)),
        Malformed(
            "will QoS 3 [MQTT-3.1.2-14]", Wire.connect(flags: 0x1E, payload: clientID + Wire.string("w") + Wire.prefixed([])),
            .invalidQoS(type: .connect, field: "will QoS", value: 3)
        ),
        Malformed(
            "password without user name [MQTT-3.1.2-22]", Wire.connect(flags: 0x42, payload: clientID + Wire.prefixed([1])),
            .passwordWithoutUsername
        ),
        Malformed(
            "client identifier cut short", Wire.connect(flags: 0x02, payload: Wire.uint16(5) + Array("abc".utf8)),
            .truncated(type: .connect, field: "client identifier")
        ),
        Malformed(
            "user name announced but missing", Wire.connect(flags: 0x82, payload: clientID),
            .truncated(type: .connect, field: "user name length")
        ),
        Malformed(
            "will message announced but missing", Wire.connect(flags: 0x06, payload: clientID + Wire.string("w")),
            .truncated(type: .connect, field: "will message length")
        ),
        Malformed(
            "a byte after the last field", Wire.connect(flags: 0x02, payload: clientID + [0]), .trailingBytes(type: .connect, count: 1)
        ),
        Malformed(
            "client identifier: lone lead byte [MQTT-1.5.3-1]", Wire.connect(flags: 0x02, payload: Wire.prefixed([0x61, 0xC3])),
            .invalidUTF8(type: .connect, field: "client identifier")
        ),
        Malformed(
            "client identifier: overlong U+0000 (C0 80) [MQTT-1.5.3-1]", Wire.connect(flags: 0x02, payload: Wire.prefixed([0xC0, 0x80])),
            .invalidUTF8(type: .connect, field: "client identifier")
        ),
        Malformed(
            "client identifier: surrogate U+D800 [MQTT-1.5.3-1]", Wire.connect(flags: 0x02, payload: Wire.prefixed([0xED, 0xA0, 0x80])),
            .invalidUTF8(type: .connect, field: "client identifier")
        ),
        Malformed(
            "client identifier: U+0000 [MQTT-1.5.3-2]", Wire.connect(flags: 0x02, payload: Wire.prefixed([0x61, 0x00])),
            .nullCharacter(type: .connect, field: "client identifier")
        ),
        Malformed(
            "user name: U+0000 [MQTT-1.5.3-2]", Wire.connect(flags: 0x82, payload: clientID + Wire.prefixed([0x00])),
            .nullCharacter(type: .connect, field: "user name")
        ),
        Malformed(
            "will topic: U+0000", Wire.connect(flags: 0x06, payload: clientID + Wire.prefixed([0x61, 0x00]) + Wire.prefixed([])),
            .nullCharacter(type: .connect, field: "will topic")
        ),
        Malformed(
            "will topic with a wildcard [MQTT-3.1.3-10]", Wire.connect(flags: 0x06, payload: clientID + Wire.string("a/#") + Wire.prefixed([])),
            .invalidTopicName("a/#", .wildcardInName)
        ),
        Malformed(
            "empty will topic [MQTT-4.7.3-1]", Wire.connect(flags: 0x06, payload: clientID + Wire.string("") + Wire.prefixed([])),
            .invalidTopicName("", .empty)
        ),
        Malformed("CONNACK reserved flags [MQTT-3.2.2.1]", Wire.packet(0x20, [0x02, 0x00]), .invalidConnackFlags(0x02)),
        Malformed("CONNACK return code 6", Wire.packet(0x20, [0x00, 0x06]), .unknownConnectReturnCode(6)),
        Malformed(
            "CONNACK refusal with session present [MQTT-3.2.2-4]", Wire.packet(0x20, [0x01, 0x05]),
            .sessionPresentWithRefusal(.notAuthorized)
        ),
        Malformed("CONNACK with one byte", Wire.packet(0x20, [0x00]), .truncated(type: .connack, field: "return code")),
        Malformed("CONNACK with three bytes", Wire.packet(0x20, [0x00, 0x00, 0x00]), .trailingBytes(type: .connack, count: 1)),
    ]

    @Test(arguments: malformed)
    func malformedConnectThrows(_ packet: Malformed) {
        packet.check()
        // A server closes without CONNACK for all of these [MQTT-3.1.4-1].
        #expect(packet.error.connackReturnCode == nil)
    }

    /// Another protocol version, 3.1's "MQIsdp" included, gets its own error: the server
    /// answers it with CONNACK 0x01 before closing [MQTT-3.1.2-2].
    @Test(arguments: [("MQTT", UInt8(3)), ("MQTT", 5), ("MQTT", 0), ("MQIsdp", 3), ("MQIsdp", 4)])
    func otherProtocolVersionIsItsOwnError(protocolName: String, level: UInt8) {
        let packet = Malformed(
            "\(protocolName) level \(level)", Wire.connect(name: protocolName, level: level, flags: 0x02, payload: ConnectStrictnessTests.clientID),
            .unsupportedProtocolVersion(name: protocolName, level: level)
        )
        packet.check()
        #expect(packet.error.connackReturnCode == .unacceptableProtocolVersion)
    }

    /// An empty client identifier is the broker's decision [MQTT-3.1.3-6/-8], not the codec's.
    @Test func emptyClientIDDecodes() throws {
        for clean: UInt8 in [0x00, 0x02] {
            let decoded = try #require(try MQTTDecoder().decode(Wire.connect(flags: clean, payload: Wire.string(""))))
            #expect(decoded.packet == .connect(Connect(cleanSession: clean != 0, keepAliveSeconds: 60, clientID: "")))
        }
    }

    /// U+FEFF is kept, not stripped [MQTT-1.5.3-3]; other code points decode byte for byte.
    @Test func byteOrderMarkAndMultiByteCharactersAreKept() throws {
        let id = "\u{FEFF}é中😀"
        let decoded = try #require(try MQTTDecoder().decode(Wire.connect(flags: 0x02, payload: Wire.string(id))))
        guard case .connect(let connect) = decoded.packet else { Issue.record("not a CONNECT"); return }
        #expect(Array(connect.clientID.utf8) == Array(id.utf8))
    }
}
