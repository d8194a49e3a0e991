/// A connection that ended, as `MQTTConnectionDelegate.closed(_:)` reports it.
public struct ClosedConnection: Sendable {
    /// The connection; it ignores `send` from now on.
    public let connection: any MQTTConnection
    /// True only when the client sent DISCONNECT (its will is discarded [MQTT-3.14.4-3]).
    public let graceful: Bool
    /// Why it ended, for the log (see `MQTTConnectionDelegate.closed(_:graceful:reason:)`).
    public let reason: String

    /// A report; see the properties.
    public init(connection: any MQTTConnection, graceful: Bool, reason: String) {
        self.connection = connection
        self.graceful = graceful
        self.reason = reason
    }
}
