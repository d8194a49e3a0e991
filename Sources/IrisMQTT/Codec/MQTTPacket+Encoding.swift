extension MQTTPacket {
    /// The whole packet (fixed header included) as bytes; see `encode(into:)`.
    public var encoded: [UInt8] {
        var bytes: [UInt8] = []
        encode(into: &bytes)
        return bytes
    }

    /// Appends the whole packet, fixed header included, to `bytes`.
    ///
    /// Never fails at run time: what the types cannot express is checked with `precondition`
    /// (a programming error, never input): packet identifiers are non-zero; a PUBLISH at QoS 0
    /// has packet identifier 0 and no DUP flag; SUBSCRIBE, SUBACK and UNSUBSCRIBE are not
    /// empty; a CONNACK that refuses has no session present; a CONNECT password comes with a
    /// user name; strings, will payload and password are at most 65,535 bytes and strings hold
    /// no U+0000; a packet's remaining length is at most 268,435,455 bytes.
    public func encode(into bytes: inout [UInt8]) {
        switch self {
        case .connect(let connect): connect.encode(into: &bytes)
        case .connack(let sessionPresent, let returnCode):
            precondition(!sessionPresent || returnCode == .accepted, "CONNACK refusing a connection with session present")
            MQTTWriter.appendFixedHeader(&bytes, type: .connack, flags: 0, remainingLength: 2)
            bytes.append(sessionPresent ? 1 : 0)
            bytes.append(returnCode.rawValue)
        case .publish(let publish): publish.encode(into: &bytes)
        case .puback(let packetID): Self.encodeAcknowledgement(&bytes, .puback, packetID)
        case .pubrec(let packetID): Self.encodeAcknowledgement(&bytes, .pubrec, packetID)
        case .pubrel(let packetID): Self.encodeAcknowledgement(&bytes, .pubrel, packetID)
        case .pubcomp(let packetID): Self.encodeAcknowledgement(&bytes, .pubcomp, packetID)
        case .unsuback(let packetID): Self.encodeAcknowledgement(&bytes, .unsuback, packetID)
        case .subscribe(let packetID, let subscriptions):
            precondition(!subscriptions.isEmpty, "SUBSCRIBE without a subscription")
            let length = subscriptions.reduce(2) { $0 + MQTTWriter.prefixedByteCount($1.filter.value.utf8.count, "topic filter") + 1 }
            MQTTWriter.appendFixedHeader(&bytes, type: .subscribe, flags: 0b0010, remainingLength: length)
            MQTTWriter.appendPacketID(&bytes, packetID, .subscribe)
            for subscription in subscriptions {
                MQTTWriter.appendPrefixed(&bytes, subscription.filter.value.utf8)
                bytes.append(subscription.qos.rawValue)
            }
        case .suback(let packetID, let returnCodes):
            precondition(!returnCodes.isEmpty, "SUBACK without a return code")
            MQTTWriter.appendFixedHeader(&bytes, type: .suback, flags: 0, remainingLength: 2 + returnCodes.count)
            MQTTWriter.appendPacketID(&bytes, packetID, .suback)
            for code in returnCodes { bytes.append(code.rawValue) }
        case .unsubscribe(let packetID, let filters):
            precondition(!filters.isEmpty, "UNSUBSCRIBE without a topic filter")
            let length = filters.reduce(2) { $0 + MQTTWriter.prefixedByteCount($1.value.utf8.count, "topic filter") }
            MQTTWriter.appendFixedHeader(&bytes, type: .unsubscribe, flags: 0b0010, remainingLength: length)
            MQTTWriter.appendPacketID(&bytes, packetID, .unsubscribe)
            for filter in filters { MQTTWriter.appendPrefixed(&bytes, filter.value.utf8) }
        case .pingreq: MQTTWriter.appendFixedHeader(&bytes, type: .pingreq, flags: 0, remainingLength: 0)
        case .pingresp: MQTTWriter.appendFixedHeader(&bytes, type: .pingresp, flags: 0, remainingLength: 0)
        case .disconnect: MQTTWriter.appendFixedHeader(&bytes, type: .disconnect, flags: 0, remainingLength: 0)
        }
    }

    /// PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK: a packet identifier and nothing else.
    private static func encodeAcknowledgement(_ bytes: inout [UInt8], _ type: MQTTPacketType, _ packetID: UInt16) {
        MQTTWriter.appendFixedHeader(&bytes, type: type, flags: type.requiredFlags ?? 0, remainingLength: 2)
        MQTTWriter.appendPacketID(&bytes, packetID, type)
    }
}

extension Publish {
    fileprivate func encode(into bytes: inout [UInt8]) {
        precondition((qos == .atMostOnce) == (packetID == 0), "PUBLISH packet identifier must be 0 exactly at QoS 0")
        precondition(qos != .atMostOnce || !duplicate, "PUBLISH with DUP at QoS 0")
        let topicBytes = MQTTWriter.prefixedByteCount(topic.value.utf8.count, "topic name")
        let length = topicBytes + (qos == .atMostOnce ? 0 : 2) + payload.count
        let flags = (duplicate ? PublishFlags.duplicate : 0) | qos.rawValue << PublishFlags.qosShift | (retain ? PublishFlags.retain : 0)
        MQTTWriter.appendFixedHeader(&bytes, type: .publish, flags: flags, remainingLength: length)
        MQTTWriter.appendPrefixed(&bytes, topic.value.utf8)
        if qos != .atMostOnce { MQTTWriter.appendUInt16(&bytes, packetID) }
        bytes.append(contentsOf: payload)
    }
}

extension Connect {
    /// Protocol name "MQTT" with its 2-byte length (MQTT 3.1.1 §3.1.2.1).
    static let protocolName: [UInt8] = [0, 4, 0x4D, 0x51, 0x54, 0x54]

    fileprivate func encode(into bytes: inout [UInt8]) {
        precondition(password == nil || username != nil, "CONNECT with a password but no user name")
        precondition(!clientID.utf8.contains(0), "CONNECT client identifier with U+0000")
        precondition(!(username?.utf8.contains(0) ?? false), "CONNECT user name with U+0000")
        var length = Self.protocolName.count + 4 + MQTTWriter.prefixedByteCount(clientID.utf8.count, "client identifier")
        if let will {
            length += MQTTWriter.prefixedByteCount(will.topic.value.utf8.count, "will topic")
            length += MQTTWriter.prefixedByteCount(will.payload.count, "will message")
        }
        if let username { length += MQTTWriter.prefixedByteCount(username.utf8.count, "user name") }
        if let password { length += MQTTWriter.prefixedByteCount(password.count, "password") }

        MQTTWriter.appendFixedHeader(&bytes, type: .connect, flags: 0, remainingLength: length)
        bytes.append(contentsOf: Self.protocolName)
        bytes.append(protocolLevel)
        bytes.append(flags)
        MQTTWriter.appendUInt16(&bytes, keepAliveSeconds)
        MQTTWriter.appendPrefixed(&bytes, clientID.utf8)
        if let will {
            MQTTWriter.appendPrefixed(&bytes, will.topic.value.utf8)
            MQTTWriter.appendPrefixed(&bytes, will.payload)
        }
        if let username { MQTTWriter.appendPrefixed(&bytes, username.utf8) }
        if let password { MQTTWriter.appendPrefixed(&bytes, password) }
    }

    /// The connect flags byte (MQTT 3.1.1 §3.1.2.3).
    private var flags: UInt8 {
        var flags: UInt8 = cleanSession ? ConnectFlags.cleanSession : 0
        if let will {
            flags |= ConnectFlags.will | will.qos.rawValue << ConnectFlags.willQoSShift
            if will.retain { flags |= ConnectFlags.willRetain }
        }
        if username != nil { flags |= ConnectFlags.username }
        if password != nil { flags |= ConnectFlags.password }
        return flags
    }
}

/// Bits of the CONNECT flags byte (MQTT 3.1.1 §3.1.2.3).
enum ConnectFlags {
    static let reserved: UInt8 = 0x01
    static let cleanSession: UInt8 = 0x02
    static let will: UInt8 = 0x04
    static let willQoSShift: UInt8 = 3
    static let willQoSMask: UInt8 = 0x18
    static let willRetain: UInt8 = 0x20
    static let password: UInt8 = 0x40
    static let username: UInt8 = 0x80
}
