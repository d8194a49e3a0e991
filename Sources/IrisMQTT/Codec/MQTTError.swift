/// Why bytes from a connection are not a valid MQTT 3.1.1 packet, or a string is not a valid
/// topic. Each case names the packet type, field and value that were wrong.
///
/// A server closes the connection on any of these (MQTT 3.1.1 §4.8: a malformed packet is a
/// protocol violation). Only `unsupportedProtocolVersion` is answered first, with CONNACK 0x01
/// [MQTT-3.1.2-2]: `connackReturnCode` says so.
public enum MQTTError: Error, Sendable, Equatable, CustomStringConvertible {
    // Fixed header.
    /// The first byte's type field is 0 or 15, both reserved [MQTT-2.2.1].
    case reservedPacketType(UInt8)
    /// The first byte's low four bits are not the flags this type requires [MQTT-2.2.2-2].
    case invalidFlags(type: MQTTPacketType, flags: UInt8)
    /// A QoS field holds 3 [MQTT-3.3.1-4, 3.1.2-14, 3.8.3-4].
    case invalidQoS(type: MQTTPacketType, field: String, value: UInt8)
    /// A QoS 0 PUBLISH has the DUP flag set [MQTT-3.3.1-2].
    case duplicateAtQoS0
    /// The remaining length has a fifth byte (the fourth has its continuation bit set) [MQTT-2.2.3].
    case remainingLengthTooLong
    /// The remaining length ends in a 0 byte after a continuation: `byteCount` bytes where fewer would do.
    case remainingLengthNotMinimal(byteCount: Int)
    /// The whole packet (fixed header included) is at least `byteCount` bytes, above the
    /// decoder's `max`. Thrown as soon as the remaining length shows it, before the body arrives.
    case packetTooLarge(type: MQTTPacketType, byteCount: Int, max: Int)

    // Variable header and payload.
    /// A field, or the length prefix of one, runs past the end of the packet.
    case truncated(type: MQTTPacketType, field: String)
    /// Bytes follow the packet's last field.
    case trailingBytes(type: MQTTPacketType, count: Int)
    /// A packet identifier is 0 [MQTT-2.3.1-1].
    case zeroPacketID(type: MQTTPacketType)
    /// A string field is not well-formed UTF-8 (surrogates and overlong forms included) [MQTT-1.5.3-1].
    case invalidUTF8(type: MQTTPacketType, field: String)
    /// A string field contains U+0000 [MQTT-1.5.3-2].
    case nullCharacter(type: MQTTPacketType, field: String)

    // CONNECT and CONNACK.
    /// The CONNECT protocol name is neither "MQTT" nor "MQIsdp" [MQTT-3.1.2-1].
    case invalidProtocolName(String)
    /// CONNECT from another protocol version: name "MQTT" with a level other than 4, or 3.1's
    /// "MQIsdp". The server answers CONNACK 0x01 and closes [MQTT-3.1.2-2].
    case unsupportedProtocolVersion(name: String, level: UInt8)
    /// The CONNECT flags' reserved bit 0 is set [MQTT-3.1.2-3].
    case connectReservedFlagSet(flags: UInt8)
    /// The CONNECT flags give a will QoS or will retain without the will flag [MQTT-3.1.2-11/-13/-15].
    case willFlagsWithoutWill(flags: UInt8)
    /// The CONNECT flags give a password without a user name [MQTT-3.1.2-22].
    case passwordWithoutUsername
    /// The CONNACK acknowledge flags have reserved bits 7-1 set [MQTT-3.2.2.1].
    case invalidConnackFlags(UInt8)
    /// The CONNACK return code is reserved (6-255) [MQTT-3.2.2.3].
    case unknownConnectReturnCode(UInt8)
    /// A CONNACK refuses the connection but says a session is present [MQTT-3.2.2-4].
    case sessionPresentWithRefusal(ConnectReturnCode)

    // SUBSCRIBE, SUBACK, UNSUBSCRIBE.
    /// A SUBSCRIBE or UNSUBSCRIBE without a topic filter, or a SUBACK without a return code
    /// [MQTT-3.8.3-3, 3.10.3-2].
    case noEntries(type: MQTTPacketType)
    /// A SUBSCRIBE's requested-QoS byte has reserved bits 7-2 set [MQTT-3.8.3-4].
    case subscriptionReservedBits(UInt8)
    /// A SUBACK return code is none of 0x00, 0x01, 0x02, 0x80 [MQTT-3.9.3-2].
    case unknownSubscribeReturnCode(UInt8)

    // Topics.
    /// The topic name (PUBLISH or will topic, or `TopicName(validating:)`) is invalid.
    case invalidTopicName(String, TopicFault)
    /// The topic filter (SUBSCRIBE, UNSUBSCRIBE, or `TopicFilter(validating:)`) is invalid.
    case invalidTopicFilter(String, TopicFault)

    /// The CONNACK a server sends before closing, or nil when it closes without one: only a
    /// CONNECT of another protocol version is answered (0x01) [MQTT-3.1.2-2].
    public var connackReturnCode: ConnectReturnCode? {
        if case .unsupportedProtocolVersion = self { return .unacceptableProtocolVersion }
        return nil
    }

    /// One log line: what was wrong, and (for the cases a setting or a client bug explains) what to do.
    public var description: String {
        switch self {
        case .reservedPacketType(let value):
            return "packet type \(value) is reserved in MQTT 3.1.1: the peer does not speak MQTT 3.1.1"
        case .invalidFlags(let type, let flags):
            return "\(type) fixed-header flags are 0b\(binary(flags)), not 0b\(binary(type.requiredFlags ?? 0)) as MQTT 3.1.1 requires"
        case .invalidQoS(let type, let field, let value):
            return "\(type) \(field) is \(value); only 0, 1 and 2 exist"
        case .duplicateAtQoS0:
            return "PUBLISH has the DUP flag set at QoS 0, where it must be 0"
        case .remainingLengthTooLong:
            return "remaining length runs past 4 bytes (the limit is 268,435,455)"
        case .remainingLengthNotMinimal(let byteCount):
            return "remaining length is encoded in \(byteCount) bytes where fewer suffice (last byte 0)"
        case .packetTooLarge(let type, let byteCount, let max):
            return "\(type) of at least \(byteCount) bytes is above the maximum packet size of \(max) bytes; raise the limit if such packets are expected"
        case .truncated(let type, let field):
            return "\(type) ends inside \(field): a length runs past the packet's remaining length"
        case .trailingBytes(let type, let count):
            return "\(count) bytes follow the last field of \(type)"
        case .zeroPacketID(let type):
            return "\(type) has packet identifier 0, which MQTT reserves"
        case .invalidUTF8(let type, let field):
            return "\(type) \(field) is not well-formed UTF-8"
        case .nullCharacter(let type, let field):
            return "\(type) \(field) contains U+0000"
        case .invalidProtocolName(let name):
            return "CONNECT protocol name \(quoted(name)) is not \"MQTT\": the client does not speak MQTT 3.1.1"
        case .unsupportedProtocolVersion(let name, let level):
            return "CONNECT asks for protocol \(quoted(name)) level \(level); this server speaks MQTT 3.1.1 (\"MQTT\" level 4) only: configure the client for MQTT 3.1.1"
        case .connectReservedFlagSet(let flags):
            return "CONNECT flags 0b\(binary(flags, width: 8)) have the reserved bit 0 set"
        case .willFlagsWithoutWill(let flags):
            return "CONNECT flags 0b\(binary(flags, width: 8)) give a will QoS or will retain without the will flag"
        case .passwordWithoutUsername:
            return "CONNECT has a password but no user name, which MQTT 3.1.1 forbids"
        case .invalidConnackFlags(let flags):
            return "CONNACK acknowledge flags 0b\(binary(flags, width: 8)) have reserved bits set"
        case .unknownConnectReturnCode(let code):
            return "CONNACK return code \(code) is reserved in MQTT 3.1.1"
        case .sessionPresentWithRefusal(let code):
            return "CONNACK refuses the connection (\(code)) yet sets session present"
        case .noEntries(let type):
            return type == .suback ? "SUBACK has no return code" : "\(type) has no topic filter"
        case .subscriptionReservedBits(let byte):
            return "SUBSCRIBE requested-QoS byte 0b\(binary(byte, width: 8)) has reserved bits set"
        case .unknownSubscribeReturnCode(let code):
            return "SUBACK return code 0x\(String(code, radix: 16)) is none of 0x00, 0x01, 0x02, 0x80"
        case .invalidTopicName(let topic, let fault):
            return "topic name \(quoted(topic)) \(fault)"
        case .invalidTopicFilter(let filter, let fault):
            return "topic filter \(quoted(filter)) \(fault)"
        }
    }
}

/// `value` in binary, zero-padded to `width` digits.
private func binary(_ value: UInt8, width: Int = 4) -> String {
    let digits = String(value, radix: 2)
    return String(repeating: "0", count: max(0, width - digits.count)) + digits
}

/// `text` quoted and escaped for a log line, cut after 100 characters (a topic may be 64 KiB).
private func quoted(_ text: String) -> String {
    let limit = 100
    guard text.count > limit else { return text.debugDescription }
    return String(text.prefix(limit)).debugDescription + "… (\(text.utf8.count) bytes)"
}
