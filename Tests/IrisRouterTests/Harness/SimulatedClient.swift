import IrisMQTT
import IrisRouter

/// One MQTT client as the random run drives it: its own packet IDs and retransmissions, a QoS 2
/// receiver that holds a packet ID until PUBREL ("method B", MQTT 3.1.1 §4.3.3), acknowledgements
/// it may send late or never, and the checks a client can make on what the broker sends it.
struct SimulatedClient {
    /// A publish of this client, until its flow completes.
    struct Outgoing {
        var packet: Publish
        /// PUBREC came: PUBREL is what is (re)sent.
        var released = false
    }

    /// An acknowledged publish: what the invariants are about.
    struct Acknowledged {
        var payload: String
        var topic: TopicName
        var qos: QoS
        /// The step at which the client first sent it.
        var sentAtStep: Int
    }

    let clientID: String
    let clean: Bool
    var token: ConnectionToken?
    /// Delivered to the application: payload → times.
    private(set) var delivered: [String: Int] = [:]
    /// QoS 2 deliveries (not retained copies) handed to the application.
    private var deliveredExactlyOnce: Set<String> = []
    /// Inbound QoS 2 packet IDs held until PUBREL, with the payload delivered under them.
    private var held: [UInt16: String] = [:]
    /// Inbound QoS 1 packet IDs of this connection not yet acknowledged.
    private var unackedQoS1: [UInt16: String] = [:]
    /// Acknowledgements owed on this connection, oldest first.
    private(set) var owed: [MQTTPacket] = []
    private var outgoing: [UInt16: Outgoing] = [:]
    private var sentAtStep: [String: Int] = [:]
    private var subscribing: [UInt16: [TopicFilter]] = [:]
    /// Per filter, the packet ID of the last SUBSCRIBE or UNSUBSCRIBE naming it: an older SUBACK no longer holds.
    private var latestRequest: [TopicFilter: UInt16] = [:]
    /// Filters granted at QoS ≥ 1 without a break since: the step of their SUBACK.
    private(set) var continuousSince: [TopicFilter: Int] = [:]
    private var nextPacketID: UInt16 = 1
    private var publishCount = 0
    private(set) var acknowledged: [Acknowledged] = []
    private(set) var violations: [String] = []

    init(clientID: String, clean: Bool) {
        self.clientID = clientID
        self.clean = clean
    }

    /// A packet ID not used by any flow of this client.
    private mutating func allocate() -> UInt16 {
        while outgoing[nextPacketID] != nil || subscribing[nextPacketID] != nil || nextPacketID == 0 { nextPacketID &+= 1 }
        defer { nextPacketID &+= 1 }
        return nextPacketID
    }

    // MARK: - Connection lifecycle

    /// A new connection: owed acknowledgements of the old one are lost; a clean session forgets everything.
    mutating func connected(_ token: ConnectionToken) {
        self.token = token
        owed = []
        unackedQoS1 = [:]
        subscribing = [:]
        if clean {
            held = [:]
            outgoing = [:]
            continuousSince = [:]
        }
    }

    mutating func disconnected() {
        token = nil
        owed = []
        unackedQoS1 = [:]
        subscribing = [:]
        if clean { continuousSince = [:] }
    }

    /// What a clean-session-0 client resends on a new connection: unacknowledged PUBLISH with DUP, PUBREL.
    func retransmissions() -> [MQTTPacket] {
        guard !clean else { return [] }
        return outgoing.keys.sorted().map { id in
            let flow = outgoing[id]!
            if flow.released { return .pubrel(packetID: id) }
            var again = flow.packet
            again.duplicate = true
            return .publish(again)
        }
    }

    // MARK: - Sending

    mutating func publish(topic: TopicName, qos: QoS, retain: Bool, step: Int) -> MQTTPacket {
        publishCount += 1
        let payload = "\(clientID)#\(publishCount)"
        let id = qos == .atMostOnce ? 0 : allocate()
        let packet = Publish(topic: topic, payload: Array(payload.utf8), qos: qos, retain: retain, duplicate: false, packetID: id)
        if qos != .atMostOnce { outgoing[id] = Outgoing(packet: packet) }
        sentAtStep[payload] = step
        return .publish(packet)
    }

    mutating func subscribe(_ filters: [(TopicFilter, QoS)]) -> MQTTPacket {
        let id = allocate()
        subscribing[id] = filters.map(\.0)
        for (filter, _) in filters {
            continuousSince[filter] = nil
            latestRequest[filter] = id
        }
        return .subscribe(packetID: id, subscriptions: filters.map { Subscription(filter: $0.0, qos: $0.1) })
    }

    mutating func unsubscribe(_ filters: [TopicFilter]) -> MQTTPacket {
        let id = allocate()
        for filter in filters {
            continuousSince[filter] = nil
            latestRequest[filter] = id
        }
        return .unsubscribe(packetID: id, filters: filters)
    }

    /// Takes the first `count` owed acknowledgements to send now.
    mutating func takeOwed(_ count: Int) -> [MQTTPacket] {
        let now = Array(owed.prefix(count))
        owed.removeFirst(now.count)
        for packet in now {
            if case .puback(let id) = packet { unackedQoS1[id] = nil }
        }
        return now
    }

    // MARK: - Receiving

    mutating func receive(_ packet: MQTTPacket, step: Int) {
        switch packet {
        case .publish(let publish):
            receive(publish)
        case .pubrel(let id):
            held[id] = nil
            owed.append(.pubcomp(packetID: id))
        case .puback(let id):
            guard let flow = outgoing[id], flow.packet.qos == .atLeastOnce else {
                violations.append("\(clientID): PUBACK \(id) for no QoS 1 publish in flight")
                return
            }
            outgoing[id] = nil
            record(flow.packet)
        case .pubrec(let id):
            guard let flow = outgoing[id], flow.packet.qos == .exactlyOnce else {
                violations.append("\(clientID): PUBREC \(id) for no QoS 2 publish in flight")
                return
            }
            if !flow.released { record(flow.packet) }
            outgoing[id]!.released = true
            owed.append(.pubrel(packetID: id))
        case .pubcomp(let id):
            if outgoing[id]?.released == true { outgoing[id] = nil }
        case .suback(let id, let codes):
            guard let filters = subscribing.removeValue(forKey: id), filters.count == codes.count else {
                violations.append("\(clientID): SUBACK \(id) matches no SUBSCRIBE")
                return
            }
            for (filter, code) in zip(filters, codes) where code != .failure && code != .granted(.atMostOnce) && latestRequest[filter] == id {
                continuousSince[filter] = step
            }
        case .connack, .unsuback:
            break
        case .connect, .subscribe, .unsubscribe, .pingreq, .pingresp, .disconnect:
            violations.append("\(clientID): the broker sent \(packet)")
        }
    }

    private mutating func record(_ packet: Publish) {
        let payload = String(decoding: packet.payload, as: UTF8.self)
        acknowledged.append(Acknowledged(payload: payload, topic: packet.topic, qos: packet.qos, sentAtStep: sentAtStep[payload] ?? 0))
    }

    private mutating func receive(_ publish: Publish) {
        let payload = String(decoding: publish.payload, as: UTF8.self)
        let id = publish.packetID
        switch publish.qos {
        case .atMostOnce:
            deliver(payload)
        case .atLeastOnce:
            if let other = unackedQoS1[id], !publish.duplicate || other != payload {
                violations.append("\(clientID): QoS 1 packet ID \(id) reused for \(payload) while \(other) is unacknowledged")
            }
            if let other = held[id] { violations.append("\(clientID): packet ID \(id) sent at QoS 1 while QoS 2 \(other) holds it") }
            unackedQoS1[id] = payload
            deliver(payload)
            owed.append(.puback(packetID: id))
        case .exactlyOnce:
            if let other = held[id] {
                if other != payload { violations.append("\(clientID): QoS 2 packet ID \(id) reused for \(payload) while \(other) holds it") }
                if !publish.duplicate { violations.append("\(clientID): QoS 2 \(payload) resent without DUP") }
            } else {
                held[id] = payload
                deliver(payload)
                if !publish.retain && !deliveredExactlyOnce.insert(payload).inserted {
                    violations.append("\(clientID): QoS 2 \(payload) delivered twice")
                }
            }
            owed.append(.pubrec(packetID: id))
        }
    }

    private mutating func deliver(_ payload: String) { delivered[payload, default: 0] += 1 }
}
