/// The CONNACK return code (MQTT 3.1.1 §3.2.2.3). Values 6-255 are reserved and decode as
/// `MQTTError.unknownConnectReturnCode`.
public enum ConnectReturnCode: UInt8, Sendable {
    /// Connection accepted.
    case accepted = 0
    /// The server does not support the protocol level the client asked for (the answer to any
    /// CONNECT that decodes as `MQTTError.unsupportedProtocolVersion`).
    case unacceptableProtocolVersion = 1
    /// The client identifier is well-formed UTF-8 but not allowed by the server.
    case identifierRejected = 2
    /// The network connection is up but the MQTT service is unavailable.
    case serverUnavailable = 3
    /// The user name or password is malformed.
    case badUsernameOrPassword = 4
    /// The client is not authorised to connect.
    case notAuthorized = 5
}
