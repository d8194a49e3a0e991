import IrisLog
import IrisMQTT

/// The sessions of one partition and their deliveries: a pure state machine (SPEC.md §16.3).
///
/// Everything it holds is derived from committed records read back in log order (`committed`),
/// so replaying the partition rebuilds it. Answers to clients (CONNACK, PUBACK, PUBREC, PUBCOMP,
/// SUBACK, UNSUBACK) are sent when the record they acknowledge is read back committed.
public struct ShardCore: Sendable {
    /// The shard's settings.
    public let configuration: ShardConfiguration
    /// By client ID (read by the checkpoint, `ShardCore+Checkpoint.swift`).
    private(set) var sessions: [String: Session] = [:]
    /// Every connection of this shard: its client ID and epoch.
    private var connections: [ConnectionToken: ConnectionState] = [:]
    /// Connect records appended and not yet read back: epoch → connection.
    private var pendingConnects: [UInt64: ConnectionToken] = [:]
    /// Connections that closed before their connect record was read back: epoch → graceful.
    private var closedBeforeConnect: [UInt64: Bool] = [:]
    /// Per client ID, the connection whose CONNECT came last: an older one is being taken over.
    private var newestConnection: [String: ConnectionToken] = [:]
    /// Live subscriptions of the connected sessions.
    private var trie = SubscriptionTrie<String>()
    /// Per partition, the end of what this shard has read.
    private(set) var feedPositions: [UInt64]
    private var recovered = false
    /// The identifier of the next retained stream (`RetainedStream.id`).
    private var nextRetainedStream: UInt64 = 1
    /// The cursors a session was restored with last: sessions restored with equal cursors share
    /// its storage (a replaying shard meets the connect-time cursor records of every session
    /// that connected while the feeds stood at the same positions, one array each otherwise).
    private var lastCursors: [UInt64] = []
    /// The cursors every clean session holds (zeros): one array, not one per session.
    private let cleanCursors: [UInt64]

    /// A shard with no session: replay its partition (`committed`) before serving.
    public init(configuration: ShardConfiguration) {
        self.configuration = configuration
        self.feedPositions = Array(repeating: 0, count: configuration.partitionCount)
        self.cleanCursors = feedPositions
    }

    /// A shard with no session that has read every partition up to `feedPositions` (the other
    /// partitions' feeds started from their checkpoints): it replays its own from there.
    public init(configuration: ShardConfiguration, startingAt feedPositions: [UInt64]) {
        self.init(configuration: configuration, restoring: [:], feedPositions: feedPositions)
    }

    /// A shard that has replayed up to a checkpoint (`sessions`, from a replaying shard) and has
    /// read every partition up to `feedPositions`: it goes on as if it had replayed the log.
    init(configuration: ShardConfiguration, restoring sessions: [String: Session], feedPositions: [UInt64]) {
        precondition(feedPositions.count == configuration.partitionCount, "one feed position per partition")
        self.configuration = configuration
        self.sessions = sessions
        self.feedPositions = feedPositions
        self.cleanCursors = Array(repeating: 0, count: configuration.partitionCount)
    }

    /// Replaying, with no connection: the state is a function of the records read (a checkpoint
    /// may be taken of it).
    var isReplaying: Bool { !recovered && connections.isEmpty && pendingConnects.isEmpty && closedBeforeConnect.isEmpty }

    /// Sessions known (open or kept for clean-session-0 clients): a metric.
    public var sessionCount: Int { sessions.count }
    /// Connections past CONNECT: a metric.
    public var connectionCount: Int { connections.count }

    /// Handles one event; returns what to do, in order.
    public mutating func handle(_ event: ShardEvent) -> [ShardAction] {
        var actions: [ShardAction] = []
        switch event {
        case .connect(let token, let clientID, let connect, let epoch):
            precondition(ClientPlacement.partition(of: clientID, partitionCount: configuration.partitionCount) == configuration.partition,
                "the shell routes a client ID to the shard of its partition")
            connections[token] = ConnectionState(clientID: clientID, epoch: epoch)
            pendingConnects[epoch] = token
            newestConnection[clientID] = token
            actions.append(.append([RouterRecord.connect(epoch: epoch, cleanSession: connect.cleanSession, will: connect.will)
                .logRecord(clientID: clientID)], connections: [token]))
        case .packet(let token, let packet):
            if let state = connections[token], newestConnection[state.clientID] != token {
                // Its takeover's connect record is in the log: anything appended now would follow it.
                // Nothing is acknowledged, so the client sends it again on its new connection.
                break
            }
            if let state = connections[token], pendingConnects[state.epoch] == token {
                // Sent before CONNACK [MQTT-3.1.4]: it waits until the session is this connection's.
                connections[token]!.early.append(packet)
            } else {
                receive(packet, on: token, into: &actions)
            }
        case .closed(let token, let graceful):
            close(token, graceful: graceful, into: &actions)
        case .closedMany(let closes):
            var closing: [ShardAction] = []
            for close in closes { self.close(close.token, graceful: close.graceful, into: &closing) }
            actions += Self.mergingAppends(closing, recordsMax: Self.closingRecordsPerAppend)
        case .committed(let partition, let start, let end, let records):
            precondition(start == feedPositions[partition], "a partition's records reach a shard in order, once")
            for entry in records {
                let reference = MessageReference(partition: partition, offset: entry.offset)
                // What is below this record is read: a session that connects here starts at it.
                feedPositions[partition] = entry.offset
                if partition == configuration.partition {
                    apply(entry.record, clientID: entry.clientID, into: &actions)
                }
                if case .message(let message) = entry.record {
                    route(StoredMessage(reference: reference, timestampMicroseconds: entry.timestampMicroseconds, message: message), into: &actions)
                }
            }
            feedPositions[partition] = end
        case .caughtUp(let clientID, let epoch, let pages):
            caughtUp(clientID: clientID, epoch: epoch, pages: pages, into: &actions)
        case .fetched(let clientID, let epoch, let messages):
            fetched(clientID: clientID, epoch: epoch, messages: messages, into: &actions)
        case .retained(let clientID, let epoch, let stream, let page):
            retained(clientID: clientID, epoch: epoch, stream: stream, page: page, into: &actions)
        case .appendFailed(let tokens, let reason):
            for token in tokens where connections[token] != nil {
                actions.append(.close(token, reason: "the log refused a write: \(reason)"))
            }
        case .recovered:
            recovered = true
            for clientID in sessions.keys.sorted() where sessions[clientID]!.open && sessions[clientID]!.connection == nil {
                actions.append(closingAppend(for: sessions[clientID]!, graceful: false, connections: []))
            }
        case .resigned:
            resign(into: &actions)
        case .tick:
            for clientID in sessions.keys.sorted() where sessions[clientID]!.unrecordedAcks > 0 {
                recordCursor(clientID, into: &actions)
            }
        }
        return actions
    }

    /// Another node leads the partition: close every connection (no records: this node can no
    /// longer append) and forget what only memory held, so the state is the log's again.
    private mutating func resign(into actions: inout [ShardAction]) {
        recovered = false
        for token in connections.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            actions.append(.close(token, reason: "this node no longer leads the session's partition; reconnect"))
        }
        connections = [:]
        pendingConnects = [:]
        closedBeforeConnect = [:]
        trie = SubscriptionTrie()
        for clientID in sessions.keys {
            var session = sessions[clientID]!
            session.connection = nil
            session.lagging = [:]
            session.catchingUp = false
            session.retainedStreams = []
            session.waiting = []
            session.unrecordedAcks = 0
            // QoS 1 deliveries are not in the log: the recorded cursors cover them.
            for (id, flight) in session.flights where flight.qos == .atLeastOnce || flight.stage == .assigning {
                session.flights[id] = nil
                session.flightReferences.remove(flight.reference)
            }
            sessions[clientID] = session
        }
    }

    // MARK: - Packets from a connection

    private mutating func receive(_ packet: MQTTPacket, on token: ConnectionToken, into actions: inout [ShardAction]) {
        guard let state = connections[token] else { return }
        let clientID = state.clientID
        switch packet {
        case .publish(let publish):
            if publish.qos == .exactlyOnce {
                if sessions[clientID].map({ $0.epoch == state.epoch && $0.inboundQoS2.contains(publish.packetID) }) == true {
                    actions.append(.send(token, [.pubrec(packetID: publish.packetID)]))
                    return
                }
                if state.inboundPending.contains(publish.packetID) { return }
                connections[token]!.inboundPending.insert(publish.packetID)
            }
            let record = RouterRecord.message(MessageRecord(
                epoch: state.epoch, packetID: publish.packetID, qos: publish.qos, retain: publish.retain, topic: publish.topic,
                payload: publish.payload))
            actions.append(.append([record.logRecord(clientID: clientID)], connections: [token]))
        case .pubrel(let packetID):
            let stored = sessions[clientID].map { $0.epoch == state.epoch && $0.inboundQoS2.contains(packetID) } ?? false
            if stored || state.inboundPending.contains(packetID) {
                actions.append(.append([RouterRecord.released(epoch: state.epoch, packetID: packetID).logRecord(clientID: clientID)],
                    connections: [token]))
            } else {
                // Released already (a PUBREL resent after reconnecting): PUBCOMP all the same [MQTT-4.3.3-1].
                actions.append(.send(token, [.pubcomp(packetID: packetID)]))
            }
        case .subscribe(let packetID, let subscriptions):
            let recorded = subscriptions.map { subscription in
                let denied = configuration.denyFilters.contains { $0.covers(subscription.filter) }
                return RecordedSubscription(filter: subscription.filter, granted: denied ? .failure : .granted(subscription.qos))
            }
            actions.append(.append([RouterRecord.subscribe(epoch: state.epoch, packetID: packetID, subscriptions: recorded)
                .logRecord(clientID: clientID)], connections: [token]))
        case .unsubscribe(let packetID, let filters):
            actions.append(.append([RouterRecord.unsubscribe(epoch: state.epoch, packetID: packetID, filters: filters)
                .logRecord(clientID: clientID)], connections: [token]))
        case .puback(let packetID):
            acknowledge(packetID, clientID: clientID, epoch: state.epoch, expecting: .atLeastOnce, into: &actions)
        case .pubrec(let packetID):
            guard let session = connectedSession(clientID, epoch: state.epoch), let flight = session.flights[packetID],
                flight.qos == .exactlyOnce
            else { return }
            switch flight.stage {
            case .published:
                actions.append(.append([RouterRecord.pubrecReceived(epoch: state.epoch, packetIDs: [packetID]).logRecord(clientID: clientID)],
                    connections: [token]))
            case .pubrecReceived:
                actions.append(.send(token, [.pubrel(packetID: packetID)]))
            case .assigning:
                break
            }
        case .pubcomp(let packetID):
            acknowledge(packetID, clientID: clientID, epoch: state.epoch, expecting: .exactlyOnce, into: &actions)
        case .connect, .connack, .suback, .unsuback, .pingreq, .pingresp, .disconnect:
            actions.append(.close(token, reason: "protocol violation: a client may not send \(packet.typeName) after CONNECT"))
        }
    }

    private mutating func acknowledge(
        _ packetID: UInt16, clientID: String, epoch: UInt64, expecting qos: QoS, into actions: inout [ShardAction]
    ) {
        guard let flight = connectedSession(clientID, epoch: epoch)?.flights[packetID], flight.qos == qos else { return }
        if qos == .exactlyOnce && flight.stage != .pubrecReceived { return }
        var session = takeSession(clientID)!
        if qos == .exactlyOnce && !flight.retained { session.completedAbove.insert(flight.reference) }
        session.flights[packetID] = nil
        session.flightReferences.remove(flight.reference)
        session.unrecordedAcks += 1
        let recordNow = session.unrecordedAcks >= configuration.acksPerCursorRecord
        sessions[clientID] = session
        if recordNow { recordCursor(clientID, into: &actions) }
        resumeCatchUp(clientID, into: &actions)
        resumeRetained(clientID, into: &actions)
    }

    private mutating func close(_ token: ConnectionToken, graceful: Bool, into actions: inout [ShardAction]) {
        guard let state = connections.removeValue(forKey: token) else { return }
        if newestConnection[state.clientID] == token { newestConnection[state.clientID] = nil }
        if pendingConnects[state.epoch] == token {
            pendingConnects[state.epoch] = nil
            closedBeforeConnect[state.epoch] = graceful
            return
        }
        guard var session = sessions[state.clientID], session.epoch == state.epoch, session.connection == token else { return }
        actions.append(closingAppend(for: session, graceful: graceful, connections: []))
        session.cursors = session.snapshot(feedPositions: feedPositions).cursors
        session.connection = nil
        session.lagging = [:]
        session.catchingUp = false
        session.retainedStreams = []
        session.waiting = []
        session.unrecordedAcks = 0
        trie.removeAll(subscriber: state.clientID)
        sessions[state.clientID] = session
    }

    /// The most records in one append of a batch of closes.
    static let closingRecordsPerAppend = 1_024

    /// `actions` with each run of adjacent appends merged into appends of at most `recordsMax`
    /// records (more when one append alone has more), in order.
    static func mergingAppends(_ actions: [ShardAction], recordsMax: Int) -> [ShardAction] {
        var merged: [ShardAction] = []
        var records: [Record] = []
        var connections: [ConnectionToken] = []
        func flush() {
            if !records.isEmpty { merged.append(.append(records, connections: connections)) }
            records = []
            connections = []
        }
        for action in actions {
            guard case .append(let more, let moreConnections) = action else {
                flush()
                merged.append(action)
                continue
            }
            if !records.isEmpty && records.count + more.count > recordsMax { flush() }
            records += more
            connections += moreConnections
        }
        flush()
        return merged
    }

    /// The will (unless the client said DISCONNECT) and the closed record, in one append.
    private func closingAppend(for session: Session, graceful: Bool, connections: [ConnectionToken]) -> ShardAction {
        var records: [Record] = []
        if !graceful, let will = session.will {
            records.append(RouterRecord.message(MessageRecord(
                epoch: 0, packetID: 0, qos: will.qos, retain: will.retain, topic: will.topic, payload: will.payload))
                .logRecord(clientID: session.clientID))
        }
        records.append(RouterRecord.closed(epoch: session.epoch, graceful: graceful, session.snapshot(feedPositions: feedPositions))
            .logRecord(clientID: session.clientID))
        return .append(records, connections: connections)
    }

    private mutating func recordCursor(_ clientID: String, into actions: inout [ShardAction]) {
        guard var session = sessions[clientID] else { return }
        session.unrecordedAcks = 0
        let snapshot = session.snapshot(feedPositions: feedPositions)
        session.completedAbove = Set(snapshot.completedAbove)
        sessions[clientID] = session
        actions.append(.append([RouterRecord.cursor(epoch: session.epoch, snapshot).logRecord(clientID: clientID)], connections: []))
    }

    /// `cursors`, sharing `lastCursors`' storage when equal.
    private mutating func interned(_ cursors: [UInt64]) -> [UInt64] {
        if cursors == lastCursors { return lastCursors }
        lastCursors = cursors
        return cursors
    }

    // MARK: - Committed records of this shard's partition

    private mutating func apply(_ record: RouterRecord, clientID: String, into actions: inout [ShardAction]) {
        switch record {
        case .connect(let epoch, let clean, let will):
            applyConnect(clientID: clientID, epoch: epoch, clean: clean, will: will, into: &actions)
        case .message(let message):
            guard var session = sessions[clientID], session.epoch == message.epoch, message.packetID != 0 else { return }
            let token = session.connection
            if let token { connections[token]?.inboundPending.remove(message.packetID) }
            switch message.qos {
            case .exactlyOnce:
                session.inboundQoS2.insert(message.packetID)
                if let token { actions.append(.send(token, [.pubrec(packetID: message.packetID)])) }
            case .atLeastOnce:
                if let token { actions.append(.send(token, [.puback(packetID: message.packetID)])) }
            case .atMostOnce:
                break
            }
            sessions[clientID] = session
        case .released(let epoch, let packetID):
            guard var session = sessions[clientID], session.epoch == epoch else { return }
            session.inboundQoS2.remove(packetID)
            if let token = session.connection { actions.append(.send(token, [.pubcomp(packetID: packetID)])) }
            sessions[clientID] = session
        case .subscribe(let epoch, let packetID, let subscriptions):
            guard var session = sessions[clientID], session.epoch == epoch else { return }
            for subscription in subscriptions {
                guard case .granted(let qos) = subscription.granted else { continue }
                session.subscriptions[subscription.filter] = qos
                guard session.connection != nil else { continue }
                trie.insert(filter: subscription.filter.value, subscriber: clientID, qos: qos.rawValue)
                // Subscribing again sends the filter's retained messages again: from the start.
                session.retainedStreams.removeAll { $0.filter == subscription.filter }
                session.retainedStreams.append(RetainedStream(id: nextRetainedStream, filter: subscription.filter, qos: qos))
                nextRetainedStream += 1
            }
            sessions[clientID] = session
            if let token = session.connection {
                actions.append(.send(token, [.suback(packetID: packetID, returnCodes: subscriptions.map(\.granted))]))
                resumeRetained(clientID, into: &actions)
            }
        case .unsubscribe(let epoch, let packetID, let filters):
            guard var session = sessions[clientID], session.epoch == epoch else { return }
            for filter in filters where session.subscriptions.removeValue(forKey: filter) != nil {
                trie.remove(filter: filter.value, subscriber: clientID)
            }
            session.retainedStreams.removeAll { filters.contains($0.filter) }
            sessions[clientID] = session
            if let token = session.connection {
                actions.append(.send(token, [.unsuback(packetID: packetID)]))
                resumeRetained(clientID, into: &actions)
            }
        case .assigned(let epoch, let assignments):
            guard var session = sessions[clientID], session.epoch == epoch else { return }
            for assignment in assignments {
                if var flight = session.flights[assignment.packetID], flight.reference == assignment.message {
                    flight.stage = .published
                    session.flights[assignment.packetID] = flight
                } else {
                    // Replaying: the delivery is known by reference until a reconnect reads it back.
                    if let old = session.flights[assignment.packetID] {
                        // A packet ID is bound again only once its QoS 2 flow completed (PUBCOMP).
                        session.flightReferences.remove(old.reference)
                        if !old.retained { session.completedAbove.insert(old.reference) }
                    }
                    session.flights[assignment.packetID] = Flight(assignment: assignment, message: nil, stage: .published)
                    session.flightReferences.insert(assignment.message)
                }
            }
            sessions[clientID] = session
            flushWaiting(clientID, into: &actions)
        case .pubrecReceived(let epoch, let packetIDs):
            guard var session = sessions[clientID], session.epoch == epoch else { return }
            var releases: [MQTTPacket] = []
            for id in packetIDs where session.flights[id]?.qos == .exactlyOnce {
                session.flights[id]!.stage = .pubrecReceived
                releases.append(.pubrel(packetID: id))
            }
            sessions[clientID] = session
            if let token = session.connection, !releases.isEmpty { actions.append(.send(token, releases)) }
        case .cursor(let epoch, let snapshot):
            // A clean session's delivery state is not kept while replaying: it is never resumed,
            // and recovery closes it (its closed record removes it whatever its cursors).
            guard !recovered, var session = sessions[clientID], session.epoch == epoch, !session.cleanSession else { return }
            session.restore(snapshot)
            session.cursors = interned(session.cursors)
            sessions[clientID] = session
        case .closed(let epoch, _, let snapshot):
            guard var session = sessions[clientID], session.epoch == epoch else { return }
            if session.cleanSession {
                sessions[clientID] = nil
                return
            }
            session.open = false
            if !recovered { session.restore(snapshot) }
            sessions[clientID] = session
        }
    }

    private mutating func applyConnect(clientID: String, epoch: UInt64, clean: Bool, will: Will?, into actions: inout [ShardAction]) {
        let previous = sessions[clientID]
        if let previous, let old = previous.connection {
            // Takeover [MQTT-3.1.4-2]: the log's order decides; the older connection goes.
            actions.append(.close(old, reason: "client ID \(clientID) connected again (session taken over)"))
            connections[old] = nil
            trie.removeAll(subscriber: clientID)
        }
        let resumes = !clean && previous.map { !$0.cleanSession } == true
        var session: Session
        if resumes, var kept = previous {
            kept.epoch = epoch
            kept.cleanSession = clean
            kept.will = will
            kept.open = true
            kept.connection = nil
            kept.waiting = []
            kept.lagging = [:]
            kept.catchingUp = false
            kept.retainedStreams = []
            if previous!.connection != nil { kept.cursors = previous!.snapshot(feedPositions: feedPositions).cursors }
            for (id, flight) in kept.flights where flight.stage == .assigning {
                // Its assigned record names the older epoch and is ignored when read back: the
                // message is read from the log again (the cursors above stay below it).
                kept.flights[id] = nil
                kept.flightReferences.remove(flight.reference)
            }
            session = kept
        } else {
            // A clean session is never resumed: its cursors are never read (a connected session's
            // snapshot is taken at the feeds' positions), so clean sessions share one array.
            session = Session(clientID: clientID, epoch: epoch, cleanSession: clean, will: will, cursors: clean ? cleanCursors : feedPositions)
        }
        let token = pendingConnects.removeValue(forKey: epoch)
        guard let token, connections[token]?.epoch == epoch else {
            sessions[clientID] = session
            if let graceful = closedBeforeConnect.removeValue(forKey: epoch) {
                // The client left before its session was recorded: close it as it left.
                actions.append(closingAppend(for: session, graceful: graceful, connections: []))
            }
            return
        }
        session.connection = token
        for (filter, qos) in session.subscriptions { trie.insert(filter: filter.value, subscriber: clientID, qos: qos.rawValue) }
        var resend: [MQTTPacket] = [.connack(sessionPresent: resumes, returnCode: .accepted)]
        var unknown: [MessageReference] = []
        for id in session.flights.keys.sorted() {
            let flight = session.flights[id]!
            switch flight.stage {
            case .pubrecReceived:
                resend.append(.pubrel(packetID: id))
            case .published, .assigning:
                if let publish = flight.publish(duplicate: true) { resend.append(publish) } else { unknown.append(flight.reference) }
            }
        }
        // A new session starts at the feeds' positions; a resumed one lags where it stopped.
        for partition in 0..<configuration.partitionCount where resumes && session.cursors[partition] < feedPositions[partition] {
            session.lagging[partition] = session.cursors[partition]
        }
        sessions[clientID] = session
        actions.append(.send(token, resend))
        // Where delivery starts, recorded: a replay reads partitions one after another, so the
        // positions it is at when it meets this connect record are not the ones the session had.
        actions.append(.append([RouterRecord.cursor(epoch: epoch, session.snapshot(feedPositions: feedPositions)).logRecord(clientID: clientID)],
            connections: []))
        if !unknown.isEmpty { actions.append(.fetch(clientID: clientID, epoch: epoch, references: unknown)) }
        resumeCatchUp(clientID, into: &actions)
        let early = connections[token]!.early
        connections[token]!.early = []
        if newestConnection[clientID] == token {
            for packet in early { receive(packet, on: token, into: &actions) }
        }
    }

    // MARK: - Delivery

    /// A committed message: to every connected session here with a matching subscription.
    private mutating func route(_ stored: StoredMessage, into actions: inout [ShardAction]) {
        // A shard with no subscriber (a replaying one, for one) does not even split the topic.
        guard trie.count > 0 else { return }
        let message = stored.message
        let reference = stored.reference
        let matches = trie.matches(topic: message.topic.value)
        guard !matches.isEmpty else { return }
        for clientID in matches.keys.sorted() {
            guard sessions[clientID]?.connection != nil, sessions[clientID]?.lagging[reference.partition] == nil,
                let granted = QoS(rawValue: matches[clientID]!)
            else { continue }
            var session = takeSession(clientID)!
            let qos = min(message.qos, granted)
            if qos != .atMostOnce && session.flights.count >= configuration.flightsMax {
                // The window is full: read the rest from the log once acknowledgements come.
                session.lagging[reference.partition] = reference.offset
                sessions[clientID] = session
                continue
            }
            deliver(stored, qos: qos, retained: false, in: &session, into: &actions)
            sessions[clientID] = session
        }
    }

    private mutating func deliver(
        _ stored: StoredMessage, qos: QoS, retained: Bool, in session: inout Session, into actions: inout [ShardAction]
    ) {
        guard let token = session.connection else { return }
        let message = stored.message
        guard qos != .atMostOnce else {
            let packet = MQTTPacket.publish(Publish(topic: message.topic, payload: message.payload, qos: .atMostOnce, retain: retained,
                duplicate: false, packetID: 0))
            send(packet, waitingFor: nil, in: &session, token: token, into: &actions)
            return
        }
        guard let packetID = session.allocatePacketID() else {
            actions.append(.close(token, reason: "65,535 deliveries in flight"))
            return
        }
        let assignment = Assignment(packetID: packetID, message: stored.reference, qos: qos, retain: retained)
        let flight = Flight(assignment: assignment, message: message, stage: qos == .exactlyOnce ? .assigning : .published)
        session.flights[packetID] = flight
        session.flightReferences.insert(stored.reference)
        let packet = flight.publish(duplicate: false)!
        if qos == .exactlyOnce {
            // Exactly once: the packet ID is bound to the message in the log before PUBLISH leaves.
            actions.append(.append([RouterRecord.assigned(epoch: session.epoch, assignments: [assignment]).logRecord(clientID: session.clientID)],
                connections: [token]))
            send(packet, waitingFor: packetID, in: &session, token: token, into: &actions)
        } else {
            send(packet, waitingFor: nil, in: &session, token: token, into: &actions)
        }
    }

    /// Sends now unless earlier packets wait for their assignment; then queues behind them.
    private func send(_ packet: MQTTPacket, waitingFor assignment: UInt16?, in session: inout Session, token: ConnectionToken,
        into actions: inout [ShardAction]) {
        if assignment == nil && session.waiting.isEmpty {
            actions.append(.send(token, [packet]))
        } else {
            session.waiting.append(WaitingSend(assigning: assignment, packet: packet))
        }
    }

    private mutating func flushWaiting(_ clientID: String, into actions: inout [ShardAction]) {
        guard var session = sessions[clientID], let token = session.connection else { return }
        var ready: [MQTTPacket] = []
        while let first = session.waiting.first {
            if let id = first.assigning, session.flights[id]?.stage == .assigning { break }
            ready.append(first.packet)
            session.waiting.removeFirst()
        }
        sessions[clientID] = session
        if !ready.isEmpty { actions.append(.send(token, ready)) }
    }

    /// Asks for the next catch-up read over every partition the session lags on, while it has room.
    private mutating func resumeCatchUp(_ clientID: String, into actions: inout [ShardAction]) {
        guard var session = sessions[clientID], session.connection != nil, !session.catchingUp,
            session.flights.count < configuration.flightsMax
        else { return }
        let filters = session.subscriptions.keys.sorted { $0.value < $1.value }
        var ranges: [CatchUpRange] = []
        for partition in session.lagging.keys.sorted() {
            let from = session.lagging[partition]!
            if filters.isEmpty || from >= feedPositions[partition] {
                session.lagging[partition] = nil
            } else {
                ranges.append(CatchUpRange(partition: partition, from: from, to: feedPositions[partition]))
            }
        }
        if !ranges.isEmpty {
            session.catchingUp = true
            actions.append(.catchUp(clientID: clientID, epoch: session.epoch, ranges: ranges, filters: filters, limit: configuration.catchUpLimit))
        }
        sessions[clientID] = session
    }

    /// Delivers a catch-up read in the order the messages were stored across partitions (by
    /// timestamp, then partition and offset): up to the earliest last message of a page that
    /// stopped at its limit, so a later page cannot overtake it, and while the window has room.
    private mutating func caughtUp(clientID: String, epoch: UInt64, pages: [CatchUpPage], into actions: inout [ShardAction]) {
        guard var session = connectedSession(clientID, epoch: epoch), session.catchingUp else { return }
        session.catchingUp = false
        let bound = pages.filter { !$0.complete }.compactMap { $0.messages.last?.timestampMicroseconds }.min() ?? .max
        let merged = pages.flatMap(\.messages).sorted {
            ($0.timestampMicroseconds, $0.reference.partition, $0.reference.offset)
                < ($1.timestampMicroseconds, $1.reference.partition, $1.reference.offset)
        }
        var undelivered: [Int: UInt64] = [:]
        var stopped = false
        for stored in merged {
            let reference = stored.reference
            if stopped || stored.timestampMicroseconds > bound {
                undelivered[reference.partition] = min(undelivered[reference.partition] ?? .max, reference.offset)
                continue
            }
            if session.flightReferences.contains(reference) || session.completedAbove.contains(reference) { continue }
            guard let granted = session.grantedQoS(for: stored.message.topic) else { continue }
            let qos = min(stored.message.qos, granted)
            if qos != .atMostOnce && session.flights.count >= configuration.flightsMax {
                stopped = true
                undelivered[reference.partition] = min(undelivered[reference.partition] ?? .max, reference.offset)
                continue
            }
            deliver(stored, qos: qos, retained: false, in: &session, into: &actions)
        }
        for page in pages where session.lagging[page.partition] != nil {
            let resume = undelivered[page.partition] ?? page.next
            session.lagging[page.partition] = resume >= feedPositions[page.partition] ? nil : resume
        }
        sessions[clientID] = session
        resumeCatchUp(clientID, into: &actions)
    }

    /// Asks for the next page of the session's first retained stream once half its window is free
    /// (a page at most as large as the room, so pages do not shrink to one message at a time).
    private mutating func resumeRetained(_ clientID: String, into actions: inout [ShardAction]) {
        guard var session = sessions[clientID], let token = session.connection, var stream = session.retainedStreams.first, !stream.reading
        else { return }
        let room = configuration.flightsMax - session.flights.count
        guard stream.qos == .atMostOnce || room >= max(1, min(configuration.catchUpLimit, configuration.flightsMax) / 2) else { return }
        let limit = stream.qos == .atMostOnce ? configuration.catchUpLimit : min(configuration.catchUpLimit, room)
        stream.reading = true
        session.retainedStreams[0] = stream
        sessions[clientID] = session
        actions.append(.fetchRetained(
            clientID: clientID, epoch: session.epoch, connection: token, stream: stream.id, filter: stream.filter, after: stream.after,
            limit: limit))
    }

    /// Delivers a page of a retained stream with RETAIN=1 while the window has room; the stream
    /// resumes after the last topic sent, and ends when the page says there are no more.
    private mutating func retained(clientID: String, epoch: UInt64, stream id: UInt64, page: RetainedPage, into actions: inout [ShardAction]) {
        guard var session = connectedSession(clientID, epoch: epoch), var stream = session.retainedStreams.first, stream.id == id,
            stream.reading
        else { return }
        stream.reading = false
        var stopped = false
        for stored in page.messages {
            let qos = min(stored.message.qos, stream.qos)
            if qos != .atMostOnce && session.flights.count >= configuration.flightsMax {
                stopped = true
                break
            }
            deliver(stored, qos: qos, retained: true, in: &session, into: &actions)
            stream.after = stored.message.topic.value
        }
        if stopped || page.next != nil {
            if !stopped { stream.after = page.next }
            session.retainedStreams[0] = stream
        } else {
            session.retainedStreams.removeFirst()
        }
        sessions[clientID] = session
        resumeRetained(clientID, into: &actions)
    }

    private mutating func fetched(clientID: String, epoch: UInt64, messages: [StoredMessage], into actions: inout [ShardAction]) {
        guard var session = connectedSession(clientID, epoch: epoch), let token = session.connection else { return }
        var resend: [MQTTPacket] = []
        for stored in messages {
            for id in session.flights.keys.sorted() where session.flights[id]!.reference == stored.reference && session.flights[id]!.message == nil {
                session.flights[id]!.message = stored.message
                if session.flights[id]!.stage == .published, let publish = session.flights[id]!.publish(duplicate: true) {
                    resend.append(publish)
                }
            }
        }
        sessions[clientID] = session
        if !resend.isEmpty { actions.append(.send(token, resend)) }
    }

    /// The session of `clientID` moved out of the table, for a change the caller writes back with
    /// `sessions[clientID] = session` on every path. A copy left in the table would share the
    /// session's tables, so the first change of each (a delivery, an acknowledgement) would copy it
    /// whole: with a full window of flights, most of a fan-out's CPU went to those copies.
    private mutating func takeSession(_ clientID: String) -> Session? {
        sessions.removeValue(forKey: clientID)
    }

    private func connectedSession(_ clientID: String, epoch: UInt64) -> Session? {
        guard let session = sessions[clientID], session.epoch == epoch, session.connection != nil else { return nil }
        return session
    }
}

/// A connection of a shard, from its CONNECT on.
private struct ConnectionState {
    var clientID: String
    var epoch: UInt64
    /// Inbound QoS 2 packet IDs appended and not yet read back.
    var inboundPending: Set<UInt16> = []
    /// Packets that came before the connect record was read back, in order.
    var early: [MQTTPacket] = []
}
