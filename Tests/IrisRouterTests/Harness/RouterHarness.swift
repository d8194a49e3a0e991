import IrisLog
import IrisMQTT
import IrisRouter

/// A connection as the harness sees it: what the broker sent it and whether it is closed.
struct HarnessConnection {
    let token: ConnectionToken
    let clientID: String
    let epoch: UInt64
    var inbox: [MQTTPacket] = []
    var closed = false
    var closeReason: String?
}

/// A deterministic model of the router's shell (`RouterShard`, `PartitionFeed`, `MQTTRouter`): one
/// `ShardCore` per partition over `ModelLogs`, actions carried out as the shell does. Appends take
/// the next offsets of the shard's own partition; `deliverCommitted` hands every partition's new
/// committed records to every shard in order (its own partition whole, others' messages only);
/// reads are queued and answered by `answerReads` from the model logs.
final class RouterHarness {
    let configuration: (Int) -> ShardConfiguration
    private(set) var shards: [ShardCore]
    private(set) var logs: ModelLogs
    /// Per partition, what the feeds have handed the shards.
    private(set) var readEnd: [UInt64]
    /// When false, appends stay uncommitted until `commit`/`commitAll`, so a test can interleave.
    var autoCommit = true
    private(set) var connections: [ConnectionToken: HarnessConnection] = [:]
    private var reads: [(shard: Int, action: ShardAction)] = []
    private var edgeClosures: [ConnectionToken] = []
    private var nextToken: UInt64 = 1
    private var nextEpoch: UInt64 = 0x5EED
    /// The retained messages the feeds have read.
    private var retained = ModelRetained()
    /// Retained pages asked for and answered: a metric for tests.
    private(set) var retainedReads = 0
    /// Broken rules seen while carrying out actions (an acknowledgement before its commit, a loop
    /// that did not settle).
    private(set) var violations: [String] = []

    init(partitionCount: Int = 4, flightsMax: Int = 256, catchUpLimit: Int = 256, acksPerCursorRecord: Int = 1024,
        denyFilters: [TopicFilter] = []) {
        let configuration = { (partition: Int) in
            ShardConfiguration(partition: partition, partitionCount: partitionCount, denyFilters: denyFilters, flightsMax: flightsMax,
                catchUpLimit: catchUpLimit, acksPerCursorRecord: acksPerCursorRecord)
        }
        self.configuration = configuration
        shards = (0..<partitionCount).map { ShardCore(configuration: configuration($0)) }
        logs = ModelLogs(partitionCount: partitionCount)
        readEnd = Array(repeating: 0, count: partitionCount)
        // The node starts: empty partitions are read to their end at once.
        for shard in shards.indices { handle(.recovered, on: shard) }
    }

    var partitionCount: Int { shards.count }

    func partition(of clientID: String) -> Int { ClientPlacement.partition(of: clientID, partitionCount: partitionCount) }

    // MARK: - Clients

    /// A new connection sends CONNECT; returns its token (answers come with `settle`).
    @discardableResult
    func connect(_ clientID: String, clean: Bool, will: Will? = nil) -> ConnectionToken {
        let token = ConnectionToken(nextToken)
        nextToken += 1
        nextEpoch = nextEpoch &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        connections[token] = HarnessConnection(token: token, clientID: clientID, epoch: nextEpoch)
        handle(.connect(token, clientID: clientID, Connect(cleanSession: clean, keepAliveSeconds: 60, clientID: clientID, will: will),
            epoch: nextEpoch), on: partition(of: clientID))
        return token
    }

    /// A packet from an open connection (ignored once it is closed, as the edge would).
    func send(_ token: ConnectionToken, _ packet: MQTTPacket) {
        guard let connection = connections[token], !connection.closed else { return }
        handle(.packet(token, packet), on: partition(of: connection.clientID))
    }

    /// The client sends DISCONNECT and the connection ends.
    func disconnect(_ token: ConnectionToken) { end(token, graceful: true, reason: "DISCONNECT") }

    /// The connection breaks without DISCONNECT.
    func drop(_ token: ConnectionToken) { end(token, graceful: false, reason: "dropped") }

    /// Connections that end together, as the edge reports one pass of its event loop: one
    /// `closedMany` event per partition, in the order given; `graceful` for those in `polite`.
    func dropTogether(_ tokens: [ConnectionToken], polite: Set<ConnectionToken> = []) {
        var byPartition: [Int: [ConnectionClose]] = [:]
        for token in tokens {
            guard let connection = connections[token], !connection.closed else { continue }
            connections[token]!.closed = true
            connections[token]!.closeReason = polite.contains(token) ? "DISCONNECT" : "dropped"
            byPartition[partition(of: connection.clientID), default: []].append(ConnectionClose(token, graceful: polite.contains(token)))
        }
        for partition in byPartition.keys.sorted() { handle(.closedMany(byPartition[partition]!), on: partition) }
    }

    /// Packets the broker sent to `token` since the last call.
    func takeInbox(_ token: ConnectionToken) -> [MQTTPacket] {
        let inbox = connections[token]?.inbox ?? []
        connections[token]?.inbox = []
        return inbox
    }

    func isClosed(_ token: ConnectionToken) -> Bool { connections[token]?.closed ?? true }

    private func end(_ token: ConnectionToken, graceful: Bool, reason: String) {
        guard let connection = connections[token], !connection.closed else { return }
        connections[token]!.closed = true
        connections[token]!.closeReason = reason
        handle(.closed(token, graceful: graceful), on: partition(of: connection.clientID))
    }

    /// Stores retained messages as a publisher's would be (message records without a session,
    /// spread over the partitions in turn), committed: many at once without a client's round trips.
    func storeRetained(_ messages: [(topic: String, payload: String)], qos: QoS) {
        for (index, message) in messages.enumerated() {
            let record = RouterRecord.message(MessageRecord(
                epoch: 0, packetID: 0, qos: qos, retain: true, topic: topic(message.topic), payload: Array(message.payload.utf8)))
            logs.append([record.logRecord(clientID: "retainer")], to: index % partitionCount)
        }
        commitAll()
    }

    // MARK: - The shell's steps

    func tick() {
        for shard in shards.indices { handle(.tick, on: shard) }
    }

    func commit(_ partition: Int) { logs.commit(partition) }

    func commitAll() {
        for partition in 0..<partitionCount { logs.commit(partition) }
    }

    /// Hands each partition's newly committed records to every shard; returns whether there were any.
    @discardableResult
    func deliverCommitted() -> Bool {
        var any = false
        for partition in 0..<partitionCount where readEnd[partition] < logs.committedEnd[partition] {
            deliver(partition, upTo: logs.committedEnd[partition])
            any = true
        }
        return any
    }

    private func deliver(_ partition: Int, upTo end: UInt64) {
        let start = readEnd[partition]
        var decoded: [(offset: UInt64, timestampMicroseconds: Int64, clientID: String, record: RouterRecord)] = []
        for offset in start..<end {
            guard let (clientID, record) = logs.decoded(partition, offset) else { continue }
            if case .message(let message) = record, message.retain, let stored = logs.message(at: MessageReference(partition: partition, offset: offset)) {
                retained.add(stored)
            }
            decoded.append((offset, logs.records[partition][Int(offset)].timestampMicroseconds, clientID, record))
        }
        let messagesOnly = decoded.filter { if case .message = $0.record { true } else { false } }
        readEnd[partition] = end
        for shard in shards.indices {
            handle(.committed(partition: partition, start: start, end: end, records: shard == partition ? decoded : messagesOnly), on: shard)
        }
    }

    /// Answers the reads asked for so far (not those their answers ask for); returns whether there were any.
    @discardableResult
    func answerReads() -> Bool {
        let pending = reads
        reads = []
        for (shard, action) in pending {
            switch action {
            case .catchUp(let clientID, let epoch, let ranges, let filters, let limit):
                let pages = ranges.map { range in
                    let (messages, next) = logs.catchUp(partition: range.partition, from: range.from, to: range.to, filters: filters, limit: limit)
                    return CatchUpPage(partition: range.partition, messages: messages, next: next, complete: next >= range.to)
                }
                handle(.caughtUp(clientID: clientID, epoch: epoch, pages: pages), on: shard)
            case .fetch(let clientID, let epoch, let references):
                let messages = references.sorted().compactMap { logs.message(at: $0) }
                handle(.fetched(clientID: clientID, epoch: epoch, messages: messages), on: shard)
            case .fetchRetained(let clientID, let epoch, _, let stream, let filter, let after, let limit):
                retainedReads += 1
                let page = retained.page(matching: filter, after: after, limit: limit)
                handle(.retained(clientID: clientID, epoch: epoch, stream: stream, page: page), on: shard)
            default:
                preconditionFailure("only reads are queued")
            }
        }
        return !pending.isEmpty
    }

    /// Commits (when `autoCommit`), delivers and answers reads until nothing moves, at most `roundsMax` rounds.
    func settle(roundsMax: Int = 10_000) {
        for _ in 0..<roundsMax {
            if autoCommit { commitAll() }
            let delivered = deliverCommitted()
            let answered = answerReads()
            if !delivered && !answered { return }
        }
        violations.append("the harness did not settle in \(roundsMax) rounds")
    }

    /// The node dies: every connection is gone, the cores are thrown away and rebuilt by replaying
    /// the logs (each partition to its end, in partition order, as `MQTTRouter.recover` does), then
    /// `.recovered`. `keepUncommitted`: the unacknowledged tail survived on disk (and is committed
    /// at restart); otherwise it is lost.
    func crash(keepUncommitted: Bool) {
        for token in connections.keys where !connections[token]!.closed {
            connections[token]!.closed = true
            connections[token]!.closeReason = "crash"
        }
        reads = []
        edgeClosures = []
        retained = ModelRetained()
        if keepUncommitted { commitAll() } else { logs.truncateUncommitted() }
        shards = (0..<partitionCount).map { ShardCore(configuration: configuration($0)) }
        readEnd = Array(repeating: 0, count: partitionCount)
        for partition in 0..<partitionCount where logs.committedEnd[partition] > 0 {
            deliver(partition, upTo: logs.committedEnd[partition])
        }
        for shard in shards.indices { handle(.recovered, on: shard) }
    }

    // MARK: - Carrying out actions

    private func handle(_ event: ShardEvent, on shard: Int) {
        for action in shards[shard].handle(event) { execute(action, shard: shard) }
        while !edgeClosures.isEmpty {
            // The edge reports a connection the shard closed as closed without DISCONNECT.
            let token = edgeClosures.removeFirst()
            handle(.closed(token, graceful: false), on: partition(of: connections[token]!.clientID))
        }
    }

    private func execute(_ action: ShardAction, shard: Int) {
        switch action {
        case .send(let token, let packets):
            for packet in packets { checkAcknowledgement(packet, to: token) }
            guard let connection = connections[token], !connection.closed else { return }
            connections[token]!.inbox += packets
        case .close(let token, let reason):
            guard let connection = connections[token], !connection.closed else { return }
            connections[token]!.closed = true
            connections[token]!.closeReason = reason
            edgeClosures.append(token)
        case .append(let records, _):
            logs.append(records, to: shard)
        case .catchUp, .fetch, .fetchRetained:
            reads.append((shard, action))
        }
    }

    /// PUBACK and PUBREC only for a message record of that client that is committed.
    private func checkAcknowledgement(_ packet: MQTTPacket, to token: ConnectionToken) {
        guard let connection = connections[token] else { return }
        let expected: (packetID: UInt16, qos: QoS)
        switch packet {
        case .puback(let id): expected = (id, .atLeastOnce)
        case .pubrec(let id): expected = (id, .exactlyOnce)
        default: return
        }
        let home = partition(of: connection.clientID)
        if !logs.hasCommittedMessage(clientID: connection.clientID, partition: home, packetID: expected.packetID, qos: expected.qos) {
            violations.append("\(packet) sent to \(connection.clientID) before its message record was committed")
        }
    }
}
