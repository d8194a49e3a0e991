/// An MQTT quality-of-service level (MQTT 3.1.1 §4.3). Ordered, so the QoS a subscriber gets is
/// `min(published, granted)` and overlapping subscriptions deliver at the `max` of theirs.
public enum QoS: UInt8, Sendable, Comparable {
    /// Delivered at most once: no acknowledgement, no packet identifier.
    case atMostOnce = 0
    /// Delivered at least once: PUBLISH, then PUBACK.
    case atLeastOnce = 1
    /// Delivered exactly once: PUBLISH, PUBREC, PUBREL, PUBCOMP.
    case exactlyOnce = 2

    /// Orders by level: `.atMostOnce < .atLeastOnce < .exactlyOnce`.
    public static func < (lhs: QoS, rhs: QoS) -> Bool { lhs.rawValue < rhs.rawValue }
}
