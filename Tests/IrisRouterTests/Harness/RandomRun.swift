import IrisMQTT
import IrisRouter

/// One seeded random run over `RouterHarness`: 3-6 clients (some clean session 0 with fixed IDs,
/// some clean session 1) subscribe and unsubscribe over a small topic set, publish at QoS 0/1/2,
/// acknowledge late or never, disconnect, drop, take over, and the node crashes; the shell's
/// commits, feeds and reads advance in random order. `run` returns the broken invariants.
struct RandomRun {
    static let topics = ["t/a", "t/b", "u/a", "u/b/c"].map(topic)
    static let filters = ["t/a", "t/+", "t/#", "u/#", "+/a", "#", "u/b/c"].map(filter)

    let seed: UInt64
    let stepCount: Int
    private var random: SeededGenerator
    private let harness: RouterHarness
    /// The partitions' logs as the run left them.
    var logs: ModelLogs { harness.logs }
    private var clients: [SimulatedClient]
    /// Clients that resend their unfinished flows when CONNACK comes (the others resend at once):
    /// the flows unfinished when they connected.
    private var resendOnConnack: [Int: [MQTTPacket]] = [:]
    private var step = 0
    private var failures: [String] = []
    /// What happened, newest last, when `traceLines` > 0: the end of it is printed with a failure.
    private var trace: [String] = []
    private let traceLines: Int

    init(seed: UInt64, stepCount: Int = 150, traceLines: Int = 0) {
        self.seed = seed
        self.stepCount = stepCount
        self.traceLines = traceLines
        var random = SeededGenerator(seed: seed)
        harness = RouterHarness(
            flightsMax: Int.random(in: 1...6, using: &random), catchUpLimit: Int.random(in: 1...5, using: &random),
            acksPerCursorRecord: Int.random(in: 1...8, using: &random))
        harness.autoCommit = false
        let count = Int.random(in: 3...6, using: &random)
        clients = (0..<count).map { index in SimulatedClient(clientID: "c\(index)", clean: index > 0 && random.chance(35)) }
        self.random = random
    }

    /// Runs the steps, then the final phase (everyone reconnects and acknowledges everything), checking as it goes.
    mutating func run() -> [String] {
        while step < stepCount && failures.isEmpty {
            step += 1
            randomStep()
            checkStep()
        }
        guard failures.isEmpty else { return failures }
        finish()
        checkStep()
        checkEnd()
        return failures
    }

    private mutating func note(_ line: String) {
        guard traceLines > 0 else { return }
        trace.append("\(step): \(line)")
        if trace.count > traceLines { trace.removeFirst() }
    }

    // MARK: - Steps

    private mutating func randomStep() {
        let index = Int.random(in: 0..<clients.count, using: &random)
        noticeClosed(index)
        let roll = Int.random(in: 0..<100, using: &random)
        switch roll {
        case 0..<10: connect(index)
        case 10..<18: subscribe(index)
        case 18..<21: unsubscribe(index)
        case 21..<43: publish(index)
        case 43..<56: readInbox(index)
        case 56..<66: sendOwed(index, count: Int.random(in: 0...4, using: &random))
        case 66..<92: shellStep()
        case 92..<95: closeConnection(index, graceful: true)
        case 95..<99: closeConnection(index, graceful: false)
        default: crash()
        }
    }

    private mutating func connect(_ index: Int) {
        if let token = clients[index].token {
            guard random.chance(20) else { return }
            // Takeover: the client gives up on its connection (what is already there is read) and connects again.
            read(index, token)
        }
        let will = random.chance(25)
            ? Will(topic: Self.topics.randomElement(using: &random)!, payload: Array("will-\(clients[index].clientID)-\(step)".utf8),
                qos: QoS(rawValue: UInt8.random(in: 0...2, using: &random))!, retain: false)
            : nil
        let token = harness.connect(clients[index].clientID, clean: clients[index].clean, will: will)
        note("\(clients[index].clientID) connects as \(token)")
        clients[index].connected(token)
        let resend = clients[index].retransmissions()
        if random.chance(50) {
            resendOnConnack[index] = resend
        } else {
            resendOnConnack[index] = nil
            for packet in resend { send(index, token, packet) }
        }
    }

    private mutating func send(_ index: Int, _ token: ConnectionToken, _ packet: MQTTPacket) {
        note("\(clients[index].clientID) sends \(packet) on \(token)")
        harness.send(token, packet)
    }

    private mutating func subscribe(_ index: Int) {
        guard let token = clients[index].token else { return }
        var chosen: [(TopicFilter, QoS)] = []
        for _ in 0..<Int.random(in: 1...2, using: &random) {
            let filter = Self.filters.randomElement(using: &random)!
            guard !chosen.contains(where: { $0.0 == filter }) else { continue }
            chosen.append((filter, QoS(rawValue: UInt8.random(in: 0...2, using: &random))!))
        }
        let packet = clients[index].subscribe(chosen)
        send(index, token, packet)
    }

    private mutating func unsubscribe(_ index: Int) {
        guard let token = clients[index].token else { return }
        let packet = clients[index].unsubscribe([Self.filters.randomElement(using: &random)!])
        send(index, token, packet)
    }

    private mutating func publish(_ index: Int) {
        guard let token = clients[index].token else { return }
        let qos = QoS(rawValue: UInt8.random(in: 0...2, using: &random))!
        let packet = clients[index].publish(topic: Self.topics.randomElement(using: &random)!, qos: qos, retain: random.chance(10), step: step)
        send(index, token, packet)
    }

    private mutating func readInbox(_ index: Int) {
        guard let token = clients[index].token else { return }
        read(index, token)
        if random.chance(60) { sendOwed(index, count: clients[index].owed.count) }
    }

    private mutating func read(_ index: Int, _ token: ConnectionToken) {
        for packet in harness.takeInbox(token) {
            note("\(clients[index].clientID) receives \(packet) on \(token)")
            clients[index].receive(packet, step: step)
            if case .connack = packet, let resend = resendOnConnack.removeValue(forKey: index) {
                for again in resend { send(index, token, again) }
            }
        }
    }

    private mutating func sendOwed(_ index: Int, count: Int) {
        guard let token = clients[index].token else { return }
        for packet in clients[index].takeOwed(count) { send(index, token, packet) }
    }

    private mutating func shellStep() {
        switch Int.random(in: 0..<10, using: &random) {
        case 0..<3:
            let partition = Int.random(in: 0..<harness.partitionCount, using: &random)
            note("commit partition \(partition)")
            harness.commit(partition)
        case 3:
            note("commit all")
            harness.commitAll()
        case 4..<7:
            note("deliver committed")
            harness.deliverCommitted()
        case 7..<9:
            note("answer reads")
            harness.answerReads()
        default:
            note("tick")
            harness.tick()
        }
    }

    private mutating func closeConnection(_ index: Int, graceful: Bool) {
        guard let token = clients[index].token else { return }
        read(index, token)
        note("\(clients[index].clientID) \(graceful ? "disconnects" : "drops") \(token)")
        if graceful { harness.disconnect(token) } else { harness.drop(token) }
        clients[index].disconnected()
    }

    private mutating func crash() {
        for index in clients.indices {
            if let token = clients[index].token { read(index, token) }
            clients[index].disconnected()
        }
        let keep = random.chance(50)
        note("crash, keeping the uncommitted tail: \(keep)")
        harness.crash(keepUncommitted: keep)
    }

    /// A connection the broker closed: read what it sent, then the client knows it is gone.
    private mutating func noticeClosed(_ index: Int) {
        guard let token = clients[index].token, harness.isClosed(token) else { return }
        read(index, token)
        clients[index].disconnected()
    }

    // MARK: - The end

    /// Every clean-session-0 client reconnects; everyone reads and acknowledges everything until nothing moves.
    private mutating func finish() {
        harness.autoCommit = true
        harness.settle()
        for index in clients.indices {
            noticeClosed(index)
            if clients[index].token == nil && !clients[index].clean {
                let token = harness.connect(clients[index].clientID, clean: false)
                note("\(clients[index].clientID) connects as \(token) for the final phase")
                clients[index].connected(token)
                resendOnConnack[index] = clients[index].retransmissions()
            }
        }
        var quiet = 0
        for _ in 0..<500 where quiet < 3 {
            harness.settle()
            harness.tick()
            var moved = false
            for index in clients.indices {
                noticeClosed(index)
                guard let token = clients[index].token else { continue }
                let inbox = harness.connections[token]?.inbox ?? []
                read(index, token)
                let owed = clients[index].owed.count
                sendOwed(index, count: owed)
                moved = moved || !inbox.isEmpty || owed > 0
            }
            quiet = moved ? 0 : quiet + 1
        }
        if quiet < 3 { failures.append("seed \(seed): the final phase did not quiesce" + tail) }
    }

    // MARK: - Invariants

    private mutating func checkStep() {
        let found = harness.violations + clients.flatMap(\.violations)
        if !found.isEmpty { failures.append("seed \(seed), step \(step): \(found.joined(separator: "; "))" + tail) }
    }

    private var tail: String { trace.isEmpty ? "" : "\n  " + trace.joined(separator: "\n  ") + logDump }

    /// Every record of every partition, decoded, when the whole trace is kept (`traceLines` over 1,000).
    private var logDump: String {
        guard traceLines > 1_000 else { return "" }
        var lines: [String] = []
        for partition in 0..<harness.partitionCount {
            for offset in 0..<UInt64(harness.logs.records[partition].count) {
                let state = offset < harness.logs.committedEnd[partition] ? "committed" : "uncommitted"
                let record = harness.logs.decoded(partition, offset).map { "\($0.clientID) \($0.record)" } ?? "not a router record"
                lines.append("log \(partition)@\(offset) \(state): \(record)")
            }
        }
        return "\n" + lines.joined(separator: "\n")
    }

    private mutating func checkEnd() {
        var stored: [String: Int] = [:]
        for message in harness.logs.allMessages { stored[String(decoding: message.message.payload, as: UTF8.self), default: 0] += 1 }
        for client in clients {
            for acked in client.acknowledged {
                let copies = stored[acked.payload, default: 0]
                if copies == 0 || (acked.qos == .exactlyOnce && copies != 1) {
                    failures.append("seed \(seed): \(acked.payload) (QoS \(acked.qos.rawValue)) acknowledged and stored \(copies) times" + tail)
                }
                for receiver in clients where !receiver.clean && receiver.delivered[acked.payload] == nil {
                    let subscribed = receiver.continuousSince.contains { $0.value < acked.sentAtStep && $0.key.matches(acked.topic) }
                    if subscribed {
                        failures.append("seed \(seed): \(acked.payload) on \(acked.topic) never delivered to \(receiver.clientID)" + tail)
                    }
                }
            }
        }
    }
}
