import IrisMQTT
import IrisRouter

/// A topic name the test knows is valid.
func topic(_ value: String) -> TopicName {
    do {
        return try TopicName(validating: value)
    } catch {
        preconditionFailure("test topic \(value): \(error)")
    }
}

/// A topic filter the test knows is valid.
func filter(_ value: String) -> TopicFilter {
    do {
        return try TopicFilter(validating: value)
    } catch {
        preconditionFailure("test filter \(value): \(error)")
    }
}

/// A PUBLISH from a client.
func publish(_ name: String, _ payload: String, qos: QoS, id: UInt16 = 0, retain: Bool = false, duplicate: Bool = false) -> MQTTPacket {
    .publish(Publish(topic: topic(name), payload: Array(payload.utf8), qos: qos, retain: retain, duplicate: duplicate, packetID: id))
}

/// A SUBSCRIBE from a client.
func subscribe(_ id: UInt16, _ subscriptions: (String, QoS)...) -> MQTTPacket {
    .subscribe(packetID: id, subscriptions: subscriptions.map { Subscription(filter: filter($0.0), qos: $0.1) })
}

extension Array where Element == MQTTPacket {
    /// The PUBLISH packets, in order.
    var publishes: [Publish] {
        compactMap { if case .publish(let publish) = $0 { publish } else { nil } }
    }
}

extension Publish {
    /// The payload as text.
    var text: String { String(decoding: payload, as: UTF8.self) }
}

/// Client IDs of the form `prefix-N` placed in `partition` (of `partitionCount`), the first `count` of them.
func clientIDs(_ prefix: String, in partition: Int, count: Int, partitionCount: Int = 4) -> [String] {
    var found: [String] = []
    var index = 0
    while found.count < count && index < 10_000 {
        let id = "\(prefix)-\(index)"
        if ClientPlacement.partition(of: id, partitionCount: partitionCount) == partition { found.append(id) }
        index += 1
    }
    return found
}
