/// The will message of a CONNECT (MQTT 3.1.1 §3.1.2.5): published by the server when the
/// connection closes without a DISCONNECT.
public struct Will: Sendable, Equatable {
    /// Where the will is published.
    public var topic: TopicName
    /// The will message, at most 65,535 bytes (a 2-byte length on the wire).
    public var payload: [UInt8]
    /// The QoS it is published at.
    public var qos: QoS
    /// Whether it is published as a retained message.
    public var retain: Bool

    /// A will. Encoding one whose payload is over 65,535 bytes is a programming error.
    public init(topic: TopicName, payload: [UInt8], qos: QoS, retain: Bool) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }
}
