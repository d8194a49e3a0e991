/// A CONNECT packet (MQTT 3.1.1 §3.1). The protocol name is always "MQTT"; a decoded CONNECT
/// always has level 4 (other levels throw `MQTTError.unsupportedProtocolVersion`).
public struct Connect: Sendable, Equatable {
    /// The protocol level: 4 for MQTT 3.1.1. The encoder writes whatever is here, so a test
    /// client can send another level.
    public var protocolLevel: UInt8
    /// Clean session: discard any previous session and start a new one that ends with the connection.
    public var cleanSession: Bool
    /// Keep-alive interval in seconds; 0 turns keep-alive off.
    public var keepAliveSeconds: UInt16
    /// The client identifier, at most 65,535 UTF-8 bytes without U+0000. May be empty: whether
    /// that is accepted is the server's decision [MQTT-3.1.3-6/-8], not the codec's.
    public var clientID: String
    /// The will message, if any.
    public var will: Will?
    /// The user name, if any (may be empty), at most 65,535 UTF-8 bytes without U+0000.
    public var username: String?
    /// The password, if any, at most 65,535 bytes. A password without a user name is
    /// malformed in 3.1.1 [MQTT-3.1.2-22]; encoding one is a programming error.
    public var password: [UInt8]?

    /// A CONNECT; `protocolLevel` defaults to 4 (MQTT 3.1.1).
    public init(
        protocolLevel: UInt8 = 4, cleanSession: Bool, keepAliveSeconds: UInt16, clientID: String,
        will: Will? = nil, username: String? = nil, password: [UInt8]? = nil
    ) {
        self.protocolLevel = protocolLevel
        self.cleanSession = cleanSession
        self.keepAliveSeconds = keepAliveSeconds
        self.clientID = clientID
        self.will = will
        self.username = username
        self.password = password
    }
}
