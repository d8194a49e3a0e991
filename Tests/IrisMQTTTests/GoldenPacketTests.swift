import IrisMQTT
import Testing

/// Every packet type against bytes from an independent encoder: paho-mqtt 2.2's packet building
/// for what clients send, the OASIS specification by hand for CONNACK/SUBACK/UNSUBACK. The hex
/// is the output of `Tests/IrisMQTTTests/Golden/make-golden.py`, pasted unchanged.
struct GoldenPacketTests {
    static let golden: [(String, String)] = [
        ("connectMinimal", "101200044d5154540402003c0006697269732d31"),
        ("connectFull", "103b00044d51545404ec012c0009636c69656e742dc3a9000f7374617475732f636c69656e742d3100076f66666c696e65000475736572000470007373"),
        ("connectEmptyClientIDUsernameOnly", "100e00044d5154540482000000000000"),
        ("connectWillQoS2", "102200044d51545404d6ffff00017700096c6173742f77696c6c0000000475e4b8ad0000"),
        ("connackSessionPresent", "20020100"),
        ("connackNotAuthorized", "20020005"),
        ("publishQoS0", "300a0003612f6268656c6c6f"),
        ("publishQoS1RetainEmpty", "3310000c73656e736f72732ff09f8ca1000a"),
        ("publishQoS2Duplicate", "3ce001001473706f72742f74656e6e69732f706c6179657231ffff000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7"),
        ("puback", "40020001"),
        ("pubrec", "50021234"),
        ("pubrel", "6202beef"),
        ("pubcomp", "70020007"),
        ("subscribe", "82200003000e73706f72742f74656e6e69732f2b02000123000006245359532f2301"),
        ("suback", "9006000302800001"),
        ("unsubscribe", "a20c00040003612f6200032b2f2b"),
        ("unsuback", "b0020004"),
        ("pingreq", "c000"),
        ("pingresp", "d000"),
        ("disconnect", "e000"),
    ]

    /// The packet each golden entry must decode to, written from the script's arguments.
    static let expected: [String: MQTTPacket] = [
        "connectMinimal": .connect(Connect(cleanSession: true, keepAliveSeconds: 60, clientID: "iris-1")),
        "connectFull": .connect(
            Connect(
                cleanSession: false, keepAliveSeconds: 300, clientID: "client-\u{E9}",
                will: Will(topic: name("status/client-1"), payload: Array("offline".utf8), qos: .atLeastOnce, retain: true),
                username: "user", password: [0x70, 0x00, 0x73, 0x73]
            )
        ),
        "connectEmptyClientIDUsernameOnly": .connect(Connect(cleanSession: true, keepAliveSeconds: 0, clientID: "", username: "")),
        "connectWillQoS2": .connect(
            Connect(
                cleanSession: true, keepAliveSeconds: 65_535, clientID: "w",
                will: Will(topic: name("last/will"), payload: [], qos: .exactlyOnce, retain: false), username: "u\u{4E2D}", password: []
            )
        ),
        "connackSessionPresent": .connack(sessionPresent: true, returnCode: .accepted),
        "connackNotAuthorized": .connack(sessionPresent: false, returnCode: .notAuthorized),
        "publishQoS0": .publish(Publish(topic: name("a/b"), payload: Array("hello".utf8), qos: .atMostOnce)),
        "publishQoS1RetainEmpty": .publish(Publish(topic: name("sensors/\u{1F321}"), payload: [], qos: .atLeastOnce, retain: true, packetID: 10)),
        "publishQoS2Duplicate": .publish(
            Publish(topic: name("sport/tennis/player1"), payload: Array(0..<200), qos: .exactlyOnce, duplicate: true, packetID: 65_535)
        ),
        "puback": .puback(packetID: 1),
        "pubrec": .pubrec(packetID: 0x1234),
        "pubrel": .pubrel(packetID: 0xBEEF),
        "pubcomp": .pubcomp(packetID: 7),
        "subscribe": .subscribe(
            packetID: 3,
            subscriptions: [
                Subscription(filter: filter("sport/tennis/+"), qos: .exactlyOnce), Subscription(filter: filter("#"), qos: .atMostOnce),
                Subscription(filter: filter("$SYS/#"), qos: .atLeastOnce),
            ]
        ),
        "suback": .suback(packetID: 3, returnCodes: [.granted(.exactlyOnce), .failure, .granted(.atMostOnce), .granted(.atLeastOnce)]),
        "unsubscribe": .unsubscribe(packetID: 4, filters: [filter("a/b"), filter("+/+")]),
        "unsuback": .unsuback(packetID: 4),
        "pingreq": .pingreq,
        "pingresp": .pingresp,
        "disconnect": .disconnect,
    ]

    @Test func everyPacketTypeHasAGoldenEntry() {
        let types = Set(Self.golden.compactMap { Self.expected[$0.0]?.type })
        #expect(types == Set(MQTTPacketType.allCases))
        #expect(Self.expected.count == Self.golden.count)
    }

    @Test(arguments: golden)
    func decodesIndependentBytesAndEncodesThemIdentically(name: String, hexBytes: String) throws {
        let wire = bytes(hex: hexBytes)
        let expected = try #require(Self.expected[name])
        let decoded = try #require(try MQTTDecoder().decode(wire))
        #expect(decoded.packet == expected)
        #expect(decoded.byteCount == wire.count)
        #expect(hex(expected.encoded) == hexBytes)
    }
}
