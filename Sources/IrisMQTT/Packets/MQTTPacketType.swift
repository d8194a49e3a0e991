/// The control packet type, the high four bits of a packet's first byte (MQTT 3.1.1 §2.2.1).
/// Values 0 and 15 are reserved and decode as `MQTTError.reservedPacketType`.
public enum MQTTPacketType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Client to server: connection request.
    case connect = 1
    /// Server to client: connection acknowledgement.
    case connack = 2
    /// Either direction: an application message.
    case publish = 3
    /// Acknowledges a QoS 1 PUBLISH.
    case puback = 4
    /// First acknowledgement of a QoS 2 PUBLISH.
    case pubrec = 5
    /// Releases a QoS 2 PUBLISH after its PUBREC.
    case pubrel = 6
    /// Completes a QoS 2 exchange.
    case pubcomp = 7
    /// Client to server: subscribe to topic filters.
    case subscribe = 8
    /// Server to client: subscribe acknowledgement.
    case suback = 9
    /// Client to server: unsubscribe from topic filters.
    case unsubscribe = 10
    /// Server to client: unsubscribe acknowledgement.
    case unsuback = 11
    /// Client to server: keep-alive ping.
    case pingreq = 12
    /// Server to client: keep-alive answer.
    case pingresp = 13
    /// Client to server: clean disconnect (the will is discarded).
    case disconnect = 14

    /// The flags (low four bits of the first byte) this type must carry [MQTT-2.2.2-1]; PUBLISH
    /// has none fixed and answers nil.
    var requiredFlags: UInt8? {
        switch self {
        case .publish: return nil
        case .pubrel, .subscribe, .unsubscribe: return 0b0010
        default: return 0
        }
    }

    /// The packet's name as the specification writes it, e.g. "PUBLISH".
    public var description: String {
        switch self {
        case .connect: return "CONNECT"
        case .connack: return "CONNACK"
        case .publish: return "PUBLISH"
        case .puback: return "PUBACK"
        case .pubrec: return "PUBREC"
        case .pubrel: return "PUBREL"
        case .pubcomp: return "PUBCOMP"
        case .subscribe: return "SUBSCRIBE"
        case .suback: return "SUBACK"
        case .unsubscribe: return "UNSUBSCRIBE"
        case .unsuback: return "UNSUBACK"
        case .pingreq: return "PINGREQ"
        case .pingresp: return "PINGRESP"
        case .disconnect: return "DISCONNECT"
        }
    }
}
