import IrisMQTT

/// One client's session as its shard holds it: rebuilt from the session's records in its
/// partition (SPEC.md §16.3).
struct Session {
    let clientID: String
    /// The epoch of the connect record that took the session last.
    var epoch: UInt64
    var cleanSession: Bool
    var will: Will?
    /// A connect record applied and no closed record since.
    var open = true
    /// The connection here that holds the session, once its connect record is applied.
    var connection: ConnectionToken?
    /// Granted subscriptions (failures are not kept).
    var subscriptions: [TopicFilter: QoS] = [:]
    /// Inbound QoS 2 packet IDs stored and not yet released.
    var inboundQoS2: Set<UInt16> = []
    /// Per partition: every matching message below is handled (except those in flight).
    var cursors: [UInt64]
    /// Partitions the session is catching up on, from this offset; live on the others.
    var lagging: [Int: UInt64] = [:]
    /// A catch-up read is outstanding.
    var catchingUp = false
    /// Retained messages of new subscriptions still to send, oldest subscription first.
    var retainedStreams: [RetainedStream] = []
    /// Outbound QoS 1 and 2 deliveries by packet ID.
    var flights: [UInt16: Flight] = [:]
    /// The messages of `flights` (catch-up skips them).
    var flightReferences = ReferenceCounts()
    /// Completed QoS 2 deliveries above their partition's cursor (catch-up skips them).
    var completedAbove: Set<MessageReference> = []
    /// PUBLISH packets waiting behind a QoS 2 assignment that is not yet committed: sent in order.
    var waiting: [WaitingSend] = []
    var nextPacketID: UInt16 = 1
    /// Acknowledgements since the last cursor record.
    var unrecordedAcks = 0

    init(clientID: String, epoch: UInt64, cleanSession: Bool, will: Will?, cursors: [UInt64]) {
        self.clientID = clientID
        self.epoch = epoch
        self.cleanSession = cleanSession
        self.will = will
        self.cursors = cursors
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
}
