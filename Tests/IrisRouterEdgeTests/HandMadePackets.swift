/// MQTT packets written byte by byte from the OASIS MQTT 3.1.1 text (§2-§3), independent of the
/// IrisMQTT encoder, so the edge is tested against the wire format itself.
enum HandMade {
    /// The remaining length as MQTT's variable-length integer (§2.2.3).
    static func remainingLength(_ value: Int) -> [UInt8] {
        var value = value
        var bytes: [UInt8] = []
        repeat {
            var byte = UInt8(value % 128)
            value /= 128
            if value > 0 { byte |= 0x80 }
            bytes.append(byte)
        } while value > 0
        return bytes
    }

    static func string(_ text: String) -> [UInt8] {
        let utf8 = Array(text.utf8)
        return [UInt8(utf8.count >> 8), UInt8(utf8.count & 0xFF)] + utf8
    }

    /// CONNECT with clean session, no will, user or password (§3.1).
    static func connect(keepAlive: UInt16, clientID: String = "t", name: String = "MQTT", level: UInt8 = 4) -> [UInt8] {
        let variable = string(name) + [level, 0b0000_0010, UInt8(keepAlive >> 8), UInt8(keepAlive & 0xFF)]
        let body = variable + string(clientID)
        return [0x10] + remainingLength(body.count) + body
    }

    /// PUBLISH; `packetID` only for QoS > 0 (§3.3).
    static func publish(topic: String, payload: [UInt8], qos: UInt8 = 0, packetID: UInt16 = 1) -> [UInt8] {
        var body = string(topic)
        if qos > 0 { body += [UInt8(packetID >> 8), UInt8(packetID & 0xFF)] }
        body += payload
        return [0x30 | qos << 1] + remainingLength(body.count) + body
    }

    static let pingreq: [UInt8] = [0xC0, 0x00]
    static let pingresp: [UInt8] = [0xD0, 0x00]
    static let disconnect: [UInt8] = [0xE0, 0x00]
    static let connackAccepted: [UInt8] = [0x20, 0x02, 0x00, 0x00]
    static let connackUnacceptableProtocol: [UInt8] = [0x20, 0x02, 0x00, 0x01]
}
