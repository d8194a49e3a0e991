/// One entry of a SUBSCRIBE (MQTT 3.1.1 §3.8.3): a topic filter and the maximum QoS asked for.
public struct Subscription: Sendable, Equatable {
    /// The topic filter subscribed to.
    public var filter: TopicFilter
    /// The requested maximum QoS.
    public var qos: QoS

    /// A subscription to `filter` at most at `qos`.
    public init(filter: TopicFilter, qos: QoS) {
        self.filter = filter
        self.qos = qos
    }
}
