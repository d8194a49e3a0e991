import IrisReplication

/// One deterministic, seeded simulation of a 3 or 5 replica cluster: simulated
/// clock, network, disks, faults and clients around real `ReplicaCore`s, with the
/// invariant checker run after every step.
public final class Simulation {
    let options: SimulationOptions
    var random: SplitMix64
    var queue = EventQueue()
    var now: Int64 = 0

    let configurations: [ReplicaConfiguration]
    var cores: [ReplicaCore?]
    var disks: [SimulatedDisk]
    var incarnations: [Int]
    var tickIntervals: [Int64]
    var fsyncLatencyMicrosecondsMax: [Int64]
    var logFsyncPending: [Bool]
    var hardStateFsyncFreeAt: [Int64]

    /// blocked[from][to]: messages on that directed link are lost.
    var blocked: [[Bool]]
    var linkGeneration = 0
    var dropProbability = 0.0
    var duplicateProbability = 0.0
    var messageDelayMicrosecondsMax: Int64 = 2_000
    /// Chance that a message is held up for a long time (a stuck connection), so
    /// messages from deposed leaders and old terms arrive late.
    var longDelayProbability = 0.0

    var clients: [SimulatedClient] = []
    /// Payloads of appends whose client stopped waiting (they may still commit).
    var unresolvedPayloads: [UInt64: [UInt8]] = [:]

    var checker: InvariantChecker
    var trace: TraceRing
    var statistics = SimulationStatistics()
    var healed = false
    var healTime: Int64 = 0
    var finished = false

    static let defaultFsyncLatencyMicrosecondsMax: Int64 = 3_000

    public init(options: SimulationOptions) throws(ConfigurationError) {
        precondition(options.replicaCount == 3 || options.replicaCount == 5, "3 or 5 replicas")
        self.options = options
        self.random = SplitMix64(seed: options.seed &* 0x2545_F491_4F6C_DD1D &+ 1)
        let members = (1...options.replicaCount).map { NodeID(UInt64($0)) }
        var configurations: [ReplicaConfiguration] = []
        for member in members {
            configurations.append(try ReplicaConfiguration(
                nodeID: member, members: members,
                inflightBatchesMax: 4, inflightBytesMax: 4 * 1024, messageBytesMax: 1024,
                entryPayloadBytesMax: 256, uncommittedEntriesMax: 64,
                plantedBugs: options.plantedBugs))
        }
        self.configurations = configurations
        let count = options.replicaCount
        cores = Array(repeating: nil, count: count)
        disks = Array(repeating: SimulatedDisk(), count: count)
        incarnations = Array(repeating: 0, count: count)
        tickIntervals = Array(repeating: options.tickMicroseconds, count: count)
        fsyncLatencyMicrosecondsMax = Array(repeating: Self.defaultFsyncLatencyMicrosecondsMax, count: count)
        logFsyncPending = Array(repeating: false, count: count)
        hardStateFsyncFreeAt = Array(repeating: 0, count: count)
        blocked = Array(repeating: Array(repeating: false, count: count), count: count)
        checker = InvariantChecker(replicaCount: count, checkDurabilityOrder: options.checkDurabilityOrder)
        trace = TraceRing(capacity: options.traceLinesMax)
    }

    /// Runs one seed to completion or to the first violation.
    public func run() -> SimulationResult {
        for node in cores.indices {
            restart(node)
        }
        for index in 0..<options.clientCount {
            clients.append(SimulatedClient(target: random.int(in: 0..<cores.count)))
            queue.schedule(at: Int64(random.int(in: 1_000...20_000)), .clientNext(client: index))
        }
        queue.schedule(at: Int64(random.int(in: 50_000...300_000)), .fault)
        queue.schedule(at: Int64(options.chaosDurationMilliseconds) * 1_000, .healAll)

        while !finished, checker.violation == nil, let event = queue.pop() {
            now = event.time
            checker.now = now
            handle(event.kind)
        }
        if checker.violation == nil { checker.checkAllAcknowledged() }
        statistics.simulatedMilliseconds = Double(now) / 1_000
        return SimulationResult(
            seed: options.seed, replicaCount: options.replicaCount,
            violation: checker.violation,
            trace: checker.violation == nil ? [] : trace.lines,
            statistics: statistics)
    }

    func handle(_ event: SimulationEvent) {
        switch event {
        case .tick(let node, let incarnation):
            guard incarnation == incarnations[node], cores[node] != nil else { return }
            trace.append(TraceRecord(time: now, node: node, kind: .tick))
            step(node, .tick)
            queue.schedule(at: now + tickIntervals[node], .tick(node: node, incarnation: incarnation))
        case .deliver(let envelope):
            let node = index(of: envelope.to)
            guard cores[node] != nil else { return }
            trace.append(TraceRecord(time: now, node: node, kind: .deliver(envelope)))
            step(node, .receive(envelope))
        case .logFsyncCompleted(let node, let incarnation):
            guard incarnation == incarnations[node], cores[node] != nil else { return }
            logFsyncPending[node] = false
            disks[node].completeFsync()
            let last = disks[node].lastOffset
            trace.append(TraceRecord(time: now, node: node, kind: .logFsync(through: last)))
            if last > .zero { step(node, .logPersisted(through: last, term: disks[node].lastTerm)) }
        case .hardStateFsyncCompleted(let node, let incarnation, let state):
            guard incarnation == incarnations[node], cores[node] != nil else { return }
            disks[node].hardStateDurable = state
            trace.append(TraceRecord(time: now, node: node, kind: .hardStateFsync(state)))
            step(node, .hardStatePersisted(state))
        case .clientRequestArrives(let node, let id, let payload):
            guard cores[node] != nil else { return }
            trace.append(TraceRecord(time: now, node: node, kind: .clientAppend(id, bytes: payload.count)))
            step(node, .clientAppend(id, payload: payload))
        case .clientTimeout(let client, let id):
            clientTimedOut(client, id)
        case .clientNext(let client):
            sendNextAppend(client)
        case .fault:
            injectFault()
        case .restart(let node):
            if !healed { restart(node) }
        case .healLinks(let generation):
            if generation == linkGeneration { clearLinks() }
        case .healAll:
            healAll()
        case .livenessDeadline:
            checker.fail(.liveness, "no append committed within \(options.healToCommitBoundMilliseconds) ms of healing")
        }
    }

    func index(of node: NodeID) -> Int { Int(node.rawValue) - 1 }

    /// Feeds one event to a replica and executes its actions in order.
    func step(_ node: Int, _ event: Event) {
        statistics.steps += 1
        let wasLeader = cores[node]!.role == .leader
        let actions = cores[node]!.step(event, log: disks[node])
        for action in actions { execute(action, node: node) }
        guard let core = cores[node] else { return }
        if !wasLeader && core.role == .leader {
            trace.append(TraceRecord(time: now, node: node, kind: .becameLeader(core.hardState.term)))
        }
        checker.observeRole(node: node, core: core)
    }

    func execute(_ action: Action, node: Int) {
        switch action {
        case .persistHardState(let state):
            if state.term < disks[node].hardStateWritten.term {
                checker.fail(.shellContract, "n\(node + 1) persisted an older term \(state)")
            }
            disks[node].hardStateWritten = state
            let completion = max(now, hardStateFsyncFreeAt[node]) + fsyncLatency(node)
            hardStateFsyncFreeAt[node] = completion
            queue.schedule(at: completion, .hardStateFsyncCompleted(
                node: node, incarnation: incarnations[node], state))
        case .truncateLog(let offset):
            disks[node].truncate(after: offset)
            checker.checkCommittedStillHeld(disks: disks, cause: "truncation on n\(node + 1)")
            scheduleLogFsync(node)
        case .appendToLog(let entries):
            guard let first = entries.first?.offset, disks[node].append(entries) else {
                checker.fail(.shellContract, "n\(node + 1) appended non-contiguous entries")
                return
            }
            checker.observeAppend(node: node, disk: disks[node], from: first)
            scheduleLogFsync(node)
        case .send(let envelope):
            statistics.messagesSent += 1
            checker.observeSend(node: node, envelope: envelope, disk: disks[node])
            transmit(envelope)
        case .commitAdvanced(let offset):
            trace.append(TraceRecord(time: now, node: node, kind: .commit(offset)))
            checker.observeCommit(node: node, to: offset, disks: disks)
        case .clientResult(let id, let result):
            trace.append(TraceRecord(time: now, node: node, kind: .clientResult(id, result)))
            clientResult(id, result)
        }
    }

    func fsyncLatency(_ node: Int) -> Int64 {
        Int64(random.int(in: 200...Int(fsyncLatencyMicrosecondsMax[node])))
    }

    func scheduleLogFsync(_ node: Int) {
        guard !logFsyncPending[node] else { return }
        logFsyncPending[node] = true
        queue.schedule(at: now + fsyncLatency(node), .logFsyncCompleted(node: node, incarnation: incarnations[node]))
    }

    func transmit(_ envelope: Envelope) {
        let from = index(of: envelope.from)
        let to = index(of: envelope.to)
        if blocked[from][to] || random.chance(dropProbability) {
            statistics.messagesDropped += 1
            trace.append(TraceRecord(time: now, node: from, kind: .dropped(envelope)))
            return
        }
        queue.schedule(at: now + messageDelay(), .deliver(envelope))
        if random.chance(duplicateProbability) {
            queue.schedule(at: now + messageDelay(), .deliver(envelope))
        }
    }

    func messageDelay() -> Int64 {
        if random.chance(longDelayProbability) { return Int64(random.int(in: 50_000...1_500_000)) }
        return Int64(random.int(in: 100...Int(messageDelayMicrosecondsMax)))
    }

    func restart(_ node: Int) {
        guard cores[node] == nil else { return }
        cores[node] = ReplicaCore(
            configuration: configurations[node],
            hardState: disks[node].hardStateDurable,
            log: disks[node],
            timeoutSource: SeededElectionTimeouts(seed: random.next()))
        checker.observeRestart(node: node)
        trace.append(TraceRecord(time: now, node: node, kind: .restart))
        queue.schedule(
            at: now + Int64(random.int(in: 1...Int(tickIntervals[node]))),
            .tick(node: node, incarnation: incarnations[node]))
    }

    func crash(_ node: Int) {
        guard cores[node] != nil else { return }
        cores[node] = nil
        incarnations[node] += 1
        logFsyncPending[node] = false
        hardStateFsyncFreeAt[node] = now
        let unsynced = disks[node].entries.count - disks[node].durableCount
        let keep = options.tornWrites && unsynced > 0 ? random.int(in: 0...unsynced) : 0
        let lost = disks[node].crash(keepUnsyncedPrefix: keep, hardStateWriteSurvives: random.chance(0.5))
        statistics.crashes += 1
        trace.append(TraceRecord(time: now, node: node, kind: .crash(lostEntries: lost)))
        checker.checkCommittedStillHeld(disks: disks, cause: "crash of n\(node + 1)")
        // Some restarts are quick (process crash), so a replica can rejoin the same election.
        let downtime = random.chance(0.3) ? random.int(in: 1_000...20_000) : random.int(in: 20_000...400_000)
        queue.schedule(at: now + Int64(downtime), .restart(node: node))
    }
}
