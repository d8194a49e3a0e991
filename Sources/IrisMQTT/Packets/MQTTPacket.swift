/// One MQTT 3.1.1 control packet, in either direction (MQTT 3.1.1 §3).
///
/// Encode with `encode(into:)` or `encoded`; decode with `MQTTDecoder`. Every packet a
/// decoder returns encodes back to exactly the bytes it was decoded from.
public enum MQTTPacket: Sendable, Equatable {
    /// Client to server: the first packet of a connection (§3.1).
    case connect(Connect)
    /// Server to client: the answer to CONNECT (§3.2). `sessionPresent` must be false unless
    /// `returnCode` is `.accepted` [MQTT-3.2.2-4].
    case connack(sessionPresent: Bool, returnCode: ConnectReturnCode)
    /// Either direction: an application message (§3.3).
    case publish(Publish)
    /// Acknowledges a QoS 1 PUBLISH (§3.4). Packet identifiers are never 0.
    case puback(packetID: UInt16)
    /// First answer to a QoS 2 PUBLISH (§3.5).
    case pubrec(packetID: UInt16)
    /// Answer to PUBREC (§3.6).
    case pubrel(packetID: UInt16)
    /// Answer to PUBREL, completing QoS 2 (§3.7).
    case pubcomp(packetID: UInt16)
    /// Client to server: one or more subscriptions (§3.8); never empty.
    case subscribe(packetID: UInt16, subscriptions: [Subscription])
    /// Server to client: one return code per subscription, in order (§3.9); never empty.
    case suback(packetID: UInt16, returnCodes: [SubscribeReturnCode])
    /// Client to server: one or more filters to drop (§3.10); never empty.
    case unsubscribe(packetID: UInt16, filters: [TopicFilter])
    /// Server to client: answer to UNSUBSCRIBE (§3.11).
    case unsuback(packetID: UInt16)
    /// Client to server: keep-alive ping (§3.12).
    case pingreq
    /// Server to client: answer to PINGREQ (§3.13).
    case pingresp
    /// Client to server: the client is closing cleanly; the will is discarded (§3.14).
    case disconnect

    /// The packet's control packet type.
    public var type: MQTTPacketType {
        switch self {
        case .connect: return .connect
        case .connack: return .connack
        case .publish: return .publish
        case .puback: return .puback
        case .pubrec: return .pubrec
        case .pubrel: return .pubrel
        case .pubcomp: return .pubcomp
        case .subscribe: return .subscribe
        case .suback: return .suback
        case .unsubscribe: return .unsubscribe
        case .unsuback: return .unsuback
        case .pingreq: return .pingreq
        case .pingresp: return .pingresp
        case .disconnect: return .disconnect
        }
    }
}
