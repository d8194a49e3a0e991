import IrisMQTT

/// One client's session as its shard holds it: rebuilt from the session's records in its
/// partition (SPEC.md §16.3).
///
/// What only subscribing and delivering fill (`DeliveryState`) is kept out of line, copied on
/// write, and absent while empty: a session that subscribes to nothing and has nothing in
/// flight (an idle client's, and most sessions of a replaying shard) is its dictionary slot and
/// its will, about half the slot it would be otherwise.
struct Session {
    let clientID: String
    /// The epoch of the connect record that took the session last.
    var epoch: UInt64
    /// Per partition: every matching message below is handled (except those in flight).
    var cursors: [UInt64]
    private var delivery: DeliveryBox?
    var will: Will?
    /// The connection here that holds the session, once its connect record is applied.
    var connection: ConnectionToken?
    var cleanSession: Bool
    /// A connect record applied and no closed record since.
    var open = true

    init(clientID: String, epoch: UInt64, cleanSession: Bool, will: Will?, cursors: [UInt64]) {
        self.clientID = clientID
        self.epoch = epoch
        self.cleanSession = cleanSession
        self.will = will
        self.cursors = cursors
    }

    /// Granted subscriptions (failures are not kept).
    var subscriptions: [TopicFilter: QoS] {
        get { delivery?.state.subscriptions ?? [:] }
        _modify { yield &uniqueDelivery.state.subscriptions; dropEmptyDelivery() }
    }
    /// Inbound QoS 2 packet IDs stored and not yet released.
    var inboundQoS2: Set<UInt16> {
        get { delivery?.state.inboundQoS2 ?? [] }
        _modify { yield &uniqueDelivery.state.inboundQoS2; dropEmptyDelivery() }
    }
    /// Partitions the session is catching up on, from this offset; live on the others.
    var lagging: [Int: UInt64] {
        get { delivery?.state.lagging ?? [:] }
        _modify { yield &uniqueDelivery.state.lagging; dropEmptyDelivery() }
    }
    /// A catch-up read is outstanding.
    var catchingUp: Bool {
        get { delivery?.state.catchingUp ?? false }
        _modify { yield &uniqueDelivery.state.catchingUp; dropEmptyDelivery() }
    }
    /// Retained messages of new subscriptions still to send, oldest subscription first.
    var retainedStreams: [RetainedStream] {
        get { delivery?.state.retainedStreams ?? [] }
        _modify { yield &uniqueDelivery.state.retainedStreams; dropEmptyDelivery() }
    }
    /// Outbound QoS 1 and 2 deliveries by packet ID.
    var flights: [UInt16: Flight] {
        get { delivery?.state.flights ?? [:] }
        _modify { yield &uniqueDelivery.state.flights; dropEmptyDelivery() }
    }
    /// The messages of `flights` (catch-up skips them).
    var flightReferences: ReferenceCounts {
        get { delivery?.state.flightReferences ?? ReferenceCounts() }
        _modify { yield &uniqueDelivery.state.flightReferences; dropEmptyDelivery() }
    }
    /// Completed QoS 2 deliveries above their partition's cursor (catch-up skips them).
    var completedAbove: Set<MessageReference> {
        get { delivery?.state.completedAbove ?? [] }
        _modify { yield &uniqueDelivery.state.completedAbove; dropEmptyDelivery() }
    }
    /// PUBLISH packets waiting behind a QoS 2 assignment that is not yet committed: sent in order.
    var waiting: [WaitingSend] {
        get { delivery?.state.waiting ?? [] }
        _modify { yield &uniqueDelivery.state.waiting; dropEmptyDelivery() }
    }
    var nextPacketID: UInt16 {
        get { delivery?.state.nextPacketID ?? 1 }
        _modify { yield &uniqueDelivery.state.nextPacketID; dropEmptyDelivery() }
    }
    /// Acknowledgements since the last cursor record.
    var unrecordedAcks: Int {
        get { delivery?.state.unrecordedAcks ?? 0 }
        _modify { yield &uniqueDelivery.state.unrecordedAcks; dropEmptyDelivery() }
    }

    /// The delivery state, made (or copied) so that this session alone holds it.
    private var uniqueDelivery: DeliveryBox {
        mutating get {
            if !isKnownUniquelyReferenced(&delivery) { delivery = DeliveryBox(delivery?.state ?? DeliveryState()) }
            return delivery!
        }
    }

    private mutating func dropEmptyDelivery() {
        if let delivery, delivery.state.isEmpty { self.delivery = nil }
    }

    /// The highest QoS granted by a subscription matching `topic`, nil when none matches.
    func grantedQoS(for topic: TopicName) -> QoS? {
        var best: QoS?
        for (filter, qos) in subscriptions where filter.matches(topic) {
            if best == nil || qos > best! { best = qos }
        }
        return best
    }

    /// A packet ID not in flight; nil when all 65,535 are.
    mutating func allocatePacketID() -> UInt16? {
        guard flights.count < Int(UInt16.max) else { return nil }
        while flights[nextPacketID] != nil { nextPacketID = nextPacketID == .max ? 1 : nextPacketID + 1 }
        defer { nextPacketID = nextPacketID == .max ? 1 : nextPacketID + 1 }
        return nextPacketID
    }

    /// Delivery progress to record: cursors lowered to every message still in flight.
    func snapshot(feedPositions: [UInt64]) -> CursorSnapshot {
        var cursors = connection == nil ? self.cursors : feedPositions
        if connection != nil {
            for (partition, offset) in lagging { cursors[partition] = min(cursors[partition], offset) }
        }
        for flight in flights.values where !flight.retained {
            let reference = flight.reference
            cursors[reference.partition] = min(cursors[reference.partition], reference.offset)
        }
        let completed = completedAbove.filter { $0.offset >= cursors[$0.partition] }.sorted()
        let inFlight = flights.values.filter { $0.qos == .exactlyOnce }.sorted { $0.packetID < $1.packetID }.map {
            (assignment: $0.assignment, pubrecReceived: $0.stage == .pubrecReceived)
        }
        return CursorSnapshot(cursors: cursors, completedAbove: completed, inFlight: inFlight)
    }

    /// Takes delivery state from a record (when the log is replayed). A PUBREC recorded before the
    /// snapshot's record stays recorded: the snapshot may have been taken while that record waited
    /// for its commit.
    mutating func restore(_ snapshot: CursorSnapshot) {
        cursors = snapshot.cursors
        completedAbove = Set(snapshot.completedAbove)
        let before = flights
        flights = [:]
        for entry in snapshot.inFlight {
            let id = entry.assignment.packetID
            let recorded = before[id].map { $0.reference == entry.assignment.message && $0.stage == .pubrecReceived } ?? false
            flights[id] = Flight(assignment: entry.assignment, message: nil, stage: entry.pubrecReceived || recorded ? .pubrecReceived : .published)
        }
        flightReferences = ReferenceCounts(flights.values.map(\.reference))
    }
}

/// One outbound QoS 1 or 2 delivery.
struct Flight {
    enum Stage: Equatable {
        /// QoS 2: its `assigned` record is appended, not yet committed; PUBLISH waits.
        case assigning
        /// PUBLISH sent (or to be resent with DUP).
        case published
        /// QoS 2: PUBREC came and is recorded; PUBREL is what is (re)sent.
        case pubrecReceived
    }

    var assignment: Assignment
    /// The message's topic and payload; nil after a restart until read back.
    var message: MessageRecord?
    var stage: Stage

    var packetID: UInt16 { assignment.packetID }
    var reference: MessageReference { assignment.message }
    var qos: QoS { assignment.qos }
    var retained: Bool { assignment.retain }

    /// The PUBLISH for this delivery; nil when the message is not known yet.
    func publish(duplicate: Bool) -> MQTTPacket? {
        guard let message else { return nil }
        return .publish(Publish(
            topic: message.topic, payload: message.payload, qos: qos, retain: retained, duplicate: duplicate, packetID: packetID))
    }
}

/// A PUBLISH held back so deliveries leave in order.
struct WaitingSend {
    /// The QoS 2 delivery whose assignment must commit first, or nil for a packet ready to go.
    var assigning: UInt16?
    var packet: MQTTPacket
}

/// The messages of the deliveries in flight, counted: one message may be in flight twice (a
/// retained copy and a live one), and acknowledging one must not forget the other.
struct ReferenceCounts {
    private var counts: [MessageReference: Int] = [:]

    init() {}

    init(_ references: some Sequence<MessageReference>) {
        for reference in references { insert(reference) }
    }

    mutating func insert(_ reference: MessageReference) { counts[reference, default: 0] += 1 }

    mutating func remove(_ reference: MessageReference) {
        guard let count = counts[reference] else { return }
        counts[reference] = count > 1 ? count - 1 : nil
    }

    func contains(_ reference: MessageReference) -> Bool { counts[reference] != nil }

    /// No message is in flight.
    var isEmpty: Bool { counts.isEmpty }
}

/// The part of a `Session` that subscribing and delivering fill; all empty for an idle client.
struct DeliveryState {
    var subscriptions: [TopicFilter: QoS] = [:]
    var inboundQoS2: Set<UInt16> = []
    var lagging: [Int: UInt64] = [:]
    var catchingUp = false
    var retainedStreams: [RetainedStream] = []
    var flights: [UInt16: Flight] = [:]
    var flightReferences = ReferenceCounts()
    var completedAbove: Set<MessageReference> = []
    var waiting: [WaitingSend] = []
    var nextPacketID: UInt16 = 1
    var unrecordedAcks = 0

    /// Nothing to keep: every value is its initial one.
    var isEmpty: Bool {
        subscriptions.isEmpty && inboundQoS2.isEmpty && lagging.isEmpty && !catchingUp && retainedStreams.isEmpty && flights.isEmpty
            && flightReferences.isEmpty && completedAbove.isEmpty && waiting.isEmpty && nextPacketID == 1 && unrecordedAcks == 0
    }
}

/// A session's `DeliveryState` out of line. `Session` copies it before changing it unless it
/// holds the only reference, so sessions keep value semantics (and the box is safe to send).
final class DeliveryBox: @unchecked Sendable {
    var state: DeliveryState

    init(_ state: DeliveryState) {
        self.state = state
    }
}
