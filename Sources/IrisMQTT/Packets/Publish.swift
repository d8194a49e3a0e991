/// A PUBLISH packet (MQTT 3.1.1 §3.3).
///
/// Invariants the encoder checks with `precondition` (a decoded PUBLISH always meets them):
/// `packetID` is 0 exactly when `qos` is `.atMostOnce`; `duplicate` is false at QoS 0
/// [MQTT-3.3.1-2]; the whole packet's remaining length is at most 268,435,455 bytes. When
/// delivering at a lower QoS than published, set both `packetID` and `duplicate` accordingly.
public struct Publish: Sendable, Equatable {
    /// The topic the message is published to.
    public var topic: TopicName
    /// The application message; may be empty (a zero-length retained message clears the retained one).
    public var payload: [UInt8]
    /// The QoS of this transmission.
    public var qos: QoS
    /// The RETAIN flag.
    public var retain: Bool
    /// The DUP flag: this may be a redelivery of an earlier attempt. Always false at QoS 0.
    public var duplicate: Bool
    /// The packet identifier: 0 at QoS 0 (not on the wire), non-zero otherwise.
    public var packetID: UInt16

    /// A PUBLISH; see the type's invariants.
    public init(topic: TopicName, payload: [UInt8], qos: QoS, retain: Bool = false, duplicate: Bool = false, packetID: UInt16 = 0) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.duplicate = duplicate
        self.packetID = packetID
    }
}
