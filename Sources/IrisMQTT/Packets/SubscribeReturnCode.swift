/// One SUBACK return code (MQTT 3.1.1 §3.9.3): the QoS granted for a topic filter, or failure.
/// On the wire 0x00-0x02 and 0x80; any other byte decodes as
/// `MQTTError.unknownSubscribeReturnCode`.
public enum SubscribeReturnCode: Sendable, Equatable {
    /// The subscription was accepted at this maximum QoS (possibly below the one requested).
    case granted(QoS)
    /// The subscription was refused (0x80).
    case failure

    /// The byte on the wire.
    public var rawValue: UInt8 {
        switch self {
        case .granted(let qos): return qos.rawValue
        case .failure: return 0x80
        }
    }

    /// The return code for `rawValue`, or nil for a reserved byte.
    public init?(rawValue: UInt8) {
        if rawValue == 0x80 {
            self = .failure
        } else if let qos = QoS(rawValue: rawValue) {
            self = .granted(qos)
        } else {
            return nil
        }
    }
}
