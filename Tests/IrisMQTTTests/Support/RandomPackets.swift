import IrisMQTT

/// Random valid packets of every type, with awkward values on purpose: empty and multi-byte
/// strings, empty levels, '$' topics, payloads across the 1-, 2- and 3-byte remaining lengths.
enum RandomPackets {
    private static let characters: [Character] = [
        "a", "b", "z", "A", "0", "9", " ", "-", "_", ".", "$", "é", "ß", "中", "😀", "\u{7F}", "\u{FEFF}", "\u{10FFFF}",
    ]

    static func packet(using rng: inout some RandomNumberGenerator) -> MQTTPacket {
        switch Int.random(in: 0..<14, using: &rng) {
        case 0: return .connect(connect(using: &rng))
        case 1:
            let returnCode = ConnectReturnCode(rawValue: UInt8.random(in: 0...5, using: &rng))!
            return .connack(sessionPresent: returnCode == .accepted && Bool.random(using: &rng), returnCode: returnCode)
        case 2: return .publish(publish(using: &rng))
        case 3: return .puback(packetID: packetID(using: &rng))
        case 4: return .pubrec(packetID: packetID(using: &rng))
        case 5: return .pubrel(packetID: packetID(using: &rng))
        case 6: return .pubcomp(packetID: packetID(using: &rng))
        case 7:
            let subscriptions = (0..<Int.random(in: 1...4, using: &rng)).map { _ in
                Subscription(filter: topicFilter(using: &rng), qos: qos(using: &rng))
            }
            return .subscribe(packetID: packetID(using: &rng), subscriptions: subscriptions)
        case 8:
            let codes = (0..<Int.random(in: 1...6, using: &rng)).map { _ in
                Bool.random(using: &rng) ? SubscribeReturnCode.failure : .granted(qos(using: &rng))
            }
            return .suback(packetID: packetID(using: &rng), returnCodes: codes)
        case 9:
            let filters = (0..<Int.random(in: 1...4, using: &rng)).map { _ in topicFilter(using: &rng) }
            return .unsubscribe(packetID: packetID(using: &rng), filters: filters)
        case 10: return .unsuback(packetID: packetID(using: &rng))
        case 11: return .pingreq
        case 12: return .pingresp
        default: return .disconnect
        }
    }

    static func connect(using rng: inout some RandomNumberGenerator) -> Connect {
        let will =
            Bool.random(using: &rng)
            ? Will(topic: topicName(using: &rng), payload: payload(using: &rng, max: 300), qos: qos(using: &rng), retain: Bool.random(using: &rng))
            : nil
        let username = Bool.random(using: &rng) ? text(using: &rng, max: 12) : nil
        let password = username != nil && Bool.random(using: &rng) ? payload(using: &rng, max: 40) : nil
        return Connect(
            cleanSession: Bool.random(using: &rng), keepAliveSeconds: UInt16.random(in: 0...UInt16.max, using: &rng),
            clientID: text(using: &rng, max: 30), will: will, username: username, password: password
        )
    }

    static func publish(using rng: inout some RandomNumberGenerator) -> Publish {
        let qos = qos(using: &rng)
        return Publish(
            topic: topicName(using: &rng), payload: payload(using: &rng, max: 20_000), qos: qos, retain: Bool.random(using: &rng),
            duplicate: qos != .atMostOnce && Bool.random(using: &rng), packetID: qos == .atMostOnce ? 0 : packetID(using: &rng)
        )
    }

    static func qos(using rng: inout some RandomNumberGenerator) -> QoS {
        QoS(rawValue: UInt8.random(in: 0...2, using: &rng))!
    }

    static func packetID(using rng: inout some RandomNumberGenerator) -> UInt16 {
        Bool.random(using: &rng) ? UInt16.random(in: 1...UInt16.max, using: &rng) : [1, 2, 255, 256, UInt16.max].randomElement(using: &rng)!
    }

    /// Mostly small payloads, sometimes ones whose remaining length needs 2 or 3 bytes.
    static func payload(using rng: inout some RandomNumberGenerator, max: Int) -> [UInt8] {
        let count = Int.random(in: 0..<4, using: &rng) == 0 ? Int.random(in: 0...max, using: &rng) : Int.random(in: 0...min(max, 40), using: &rng)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    static func text(using rng: inout some RandomNumberGenerator, max: Int) -> String {
        String((0..<Int.random(in: 0...max, using: &rng)).map { _ in characters.randomElement(using: &rng)! })
    }

    static func topicName(using rng: inout some RandomNumberGenerator) -> TopicName {
        let levels = (0..<Int.random(in: 1...5, using: &rng)).map { _ in text(using: &rng, max: 6) }
        let topic = levels.joined(separator: "/")
        return name(topic.isEmpty ? "t" : topic)
    }

    static func topicFilter(using rng: inout some RandomNumberGenerator) -> TopicFilter {
        var levels = (0..<Int.random(in: 1...5, using: &rng)).map { _ in
            Int.random(in: 0..<4, using: &rng) == 0 ? "+" : text(using: &rng, max: 6)
        }
        if Bool.random(using: &rng) { levels.append("#") }
        let value = levels.joined(separator: "/")
        return filter(value.isEmpty ? "#" : value)
    }
}
