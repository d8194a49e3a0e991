extension MQTTPacket {
    /// Decodes the body of a packet whose fixed header (type and `flags`) was already checked.
    /// The caller checks that nothing is left afterwards.
    static func decodeBody(flags: UInt8, from reader: inout MQTTReader) throws(MQTTError) -> MQTTPacket {
        switch reader.type {
        case .connect: return .connect(try Connect.decode(from: &reader))
        case .connack: return try decodeConnack(from: &reader)
        case .publish: return .publish(try Publish.decode(flags: flags, from: &reader))
        case .puback: return .puback(packetID: try reader.packetID())
        case .pubrec: return .pubrec(packetID: try reader.packetID())
        case .pubrel: return .pubrel(packetID: try reader.packetID())
        case .pubcomp: return .pubcomp(packetID: try reader.packetID())
        case .subscribe: return try decodeSubscribe(from: &reader)
        case .suback: return try decodeSuback(from: &reader)
        case .unsubscribe: return try decodeUnsubscribe(from: &reader)
        case .unsuback: return .unsuback(packetID: try reader.packetID())
        case .pingreq: return .pingreq
        case .pingresp: return .pingresp
        case .disconnect: return .disconnect
        }
    }

    /// MQTT 3.1.1 §3.2: acknowledge flags (bits 7-1 reserved), return code.
    private static func decodeConnack(from reader: inout MQTTReader) throws(MQTTError) -> MQTTPacket {
        let flags = try reader.byte("acknowledge flags")
        if flags & 0xFE != 0 { throw .invalidConnackFlags(flags) }
        let code = try reader.byte("return code")
        guard let returnCode = ConnectReturnCode(rawValue: code) else { throw .unknownConnectReturnCode(code) }
        let sessionPresent = flags == 1
        if sessionPresent && returnCode != .accepted { throw .sessionPresentWithRefusal(returnCode) }
        return .connack(sessionPresent: sessionPresent, returnCode: returnCode)
    }

    /// MQTT 3.1.1 §3.8: packet identifier, then at least one (filter, requested QoS) pair.
    private static func decodeSubscribe(from reader: inout MQTTReader) throws(MQTTError) -> MQTTPacket {
        let packetID = try reader.packetID()
        if reader.isAtEnd { throw .noEntries(type: .subscribe) }
        var subscriptions: [Subscription] = []
        repeat {
            let filter = try reader.topicFilter("topic filter")
            let options = try reader.byte("requested QoS")
            if options & 0xFC != 0 { throw .subscriptionReservedBits(options) }
            guard let qos = QoS(rawValue: options) else { throw .invalidQoS(type: .subscribe, field: "requested QoS", value: options) }
            subscriptions.append(Subscription(filter: filter, qos: qos))
        } while !reader.isAtEnd
        return .subscribe(packetID: packetID, subscriptions: subscriptions)
    }

    /// MQTT 3.1.1 §3.9: packet identifier, then at least one return code.
    private static func decodeSuback(from reader: inout MQTTReader) throws(MQTTError) -> MQTTPacket {
        let packetID = try reader.packetID()
        if reader.isAtEnd { throw .noEntries(type: .suback) }
        var returnCodes: [SubscribeReturnCode] = []
        repeat {
            let byte = try reader.byte("return code")
            guard let code = SubscribeReturnCode(rawValue: byte) else { throw .unknownSubscribeReturnCode(byte) }
            returnCodes.append(code)
        } while !reader.isAtEnd
        return .suback(packetID: packetID, returnCodes: returnCodes)
    }

    /// MQTT 3.1.1 §3.10: packet identifier, then at least one filter.
    private static func decodeUnsubscribe(from reader: inout MQTTReader) throws(MQTTError) -> MQTTPacket {
        let packetID = try reader.packetID()
        if reader.isAtEnd { throw .noEntries(type: .unsubscribe) }
        var filters: [TopicFilter] = []
        repeat {
            filters.append(try reader.topicFilter("topic filter"))
        } while !reader.isAtEnd
        return .unsubscribe(packetID: packetID, filters: filters)
    }
}

extension Publish {
    /// MQTT 3.1.1 §3.3: topic name, packet identifier when QoS > 0, payload (the rest).
    fileprivate static func decode(flags: UInt8, from reader: inout MQTTReader) throws(MQTTError) -> Publish {
        // The fixed header's checks already refused QoS 3 and DUP at QoS 0.
        guard let qos = QoS(rawValue: flags >> PublishFlags.qosShift & 0b11) else { preconditionFailure("QoS 3 passed the fixed header") }
        let topic = try reader.topicName("topic name")
        let packetID = qos == .atMostOnce ? 0 : try reader.packetID()
        return Publish(
            topic: topic, payload: reader.rest(), qos: qos, retain: flags & PublishFlags.retain != 0,
            duplicate: flags & PublishFlags.duplicate != 0, packetID: packetID
        )
    }
}

extension Connect {
    /// MQTT 3.1.1 §3.1: protocol name and level, flags, keep-alive, then the payload fields
    /// the flags announce, in order.
    fileprivate static func decode(from reader: inout MQTTReader) throws(MQTTError) -> Connect {
        let name = try reader.prefixed("protocol name")
        let level = try reader.byte("protocol level")
        if !name.elementsEqual(protocolName.dropFirst(2)) || level != 4 {
            let text = String(decoding: name, as: UTF8.self)
            // 3.1 clients say "MQIsdp" (level 3); both it and "MQTT" at another level get CONNACK 0x01.
            if text == "MQTT" || text == "MQIsdp" { throw .unsupportedProtocolVersion(name: text, level: level) }
            throw .invalidProtocolName(text)
        }
        let flags = try reader.byte("connect flags")
        if flags & ConnectFlags.reserved != 0 { throw .connectReservedFlagSet(flags: flags) }
        let hasWill = flags & ConnectFlags.will != 0
        let willQoSBits = (flags & ConnectFlags.willQoSMask) >> ConnectFlags.willQoSShift
        if !hasWill && flags & (ConnectFlags.willQoSMask | ConnectFlags.willRetain) != 0 { throw .willFlagsWithoutWill(flags: flags) }
        if flags & ConnectFlags.password != 0 && flags & ConnectFlags.username == 0 { throw .passwordWithoutUsername }
        guard let willQoS = QoS(rawValue: willQoSBits) else { throw .invalidQoS(type: .connect, field: "will QoS", value: willQoSBits) }

        let keepAliveSeconds = try reader.uint16("keep alive")
        let clientID = try reader.string("client identifier")
        var will: Will?
        if hasWill {
            let topic = try reader.topicName("will topic")
            will = Will(topic: topic, payload: try reader.binary("will message"), qos: willQoS, retain: flags & ConnectFlags.willRetain != 0)
        }
        let username = flags & ConnectFlags.username != 0 ? try reader.string("user name") : nil
        let password = flags & ConnectFlags.password != 0 ? try reader.binary("password") : nil
        return Connect(
            protocolLevel: level, cleanSession: flags & ConnectFlags.cleanSession != 0, keepAliveSeconds: keepAliveSeconds,
            clientID: clientID, will: will, username: username, password: password
        )
    }
}
