import IrisLog
import IrisNode
import IrisReplication
import Logging

/// One deterministic, seeded simulation of a 3 or 5 replica cluster: simulated
/// clock, network, disks, faults and clients around real replicas, each run by the
/// `ReplicaDriver` that `irisd` runs, each replica's log a real IrisLog `Log` on its own
/// `SimulatedDisk`, with the invariant checker run after every step. Log operations complete
/// before the simulation goes on, so a run is deterministic although the logs' writers are
/// threads.
public final class Simulation {
    let options: SimulationOptions
    var random: SplitMix64
    var queue = EventQueue()
    var now: Int64 = 0

    let configurations: [ReplicaConfiguration]
    /// Each running replica's driver; nil while the replica is down. A crash discards it, a
    /// restart builds a new one from what the disk kept.
    var drivers: [ReplicaDriver?]
    /// Each replica's shell: what its driver asks of the simulated world. Held here because
    /// a driver holds its shell unowned; filled when the run starts.
    var shells: [SimulatedReplicaShell] = []
    /// A fail-stop a replica's failed log operation (or halt) asked for, carried out once its
    /// driver returns (SPEC.md §9.3.1: the replica stops as if it crashed).
    var pendingFailStops: [PendingFailStop?]
    /// Each replica's disk; it outlives crashes.
    let disks: [SimulatedDisk]
    /// Each replica's open log; reopened (recovered) right after a crash.
    var logs: [Log]
    var mirrors: [LogMirror]
    var hardStates: [HardStateFile]
    var incarnations: [Int]
    var tickIntervals: [Int64]
    var fsyncLatencyMicrosecondsMax: [Int64]
    /// The fault armed on each replica's disk, if any.
    var diskFaults: [DiskFault?]
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
    /// Record values of appends whose client stopped waiting (they may still commit).
    var unresolvedAppends: [UInt64: [[UInt8]]] = [:]

    var checker: InvariantChecker
    var trace: TraceRing
    var statistics = SimulationStatistics()
    var healed = false
    var healTime: Int64 = 0
    var finished = false

    static let defaultFsyncLatencyMicrosecondsMax: Int64 = 3_000
    static let logDirectory = "/log"

    /// Sets up a cluster of `options.replicaCount` replicas (node IDs 1...n) on fresh
    /// simulated disks; nothing runs until `run()`. Traps unless there are 3 or 5 replicas.
    ///
    /// - Throws: `ConfigurationError` if the simulator's replica configuration is invalid.
    public init(options: SimulationOptions) throws(ConfigurationError) {
        precondition(options.replicaCount == 3 || options.replicaCount == 5, "3 or 5 replicas")
        self.options = options
        self.random = SplitMix64(seed: options.seed &* 0x2545_F491_4F6C_DD1D &+ 1)
        let members = (1...options.replicaCount).map { NodeID(UInt64($0)) }
        var configurations: [ReplicaConfiguration] = []
        for member in members {
            var configuration = try ReplicaConfiguration(
                nodeID: member, members: members,
                inflightBatchesMax: 4, inflightBytesMax: 4 * 1024, messageBytesMax: 1024,
                frameBytesMax: 512, uncommittedAppendsMax: 64)
            configuration.plantedBugs = options.plantedBugs
            configurations.append(configuration)
        }
        self.configurations = configurations
        let count = options.replicaCount
        drivers = Array(repeating: nil, count: count)
        pendingFailStops = Array(repeating: nil, count: count)
        disks = (0..<count).map { _ in SimulatedDisk() }
        logs = []
        mirrors = Array(repeating: LogMirror(), count: count)
        hardStates = Array(repeating: HardStateFile(), count: count)
        incarnations = Array(repeating: 0, count: count)
        tickIntervals = Array(repeating: options.tickMicroseconds, count: count)
        fsyncLatencyMicrosecondsMax = Array(repeating: Self.defaultFsyncLatencyMicrosecondsMax, count: count)
        diskFaults = Array(repeating: nil, count: count)
        hardStateFsyncFreeAt = Array(repeating: 0, count: count)
        blocked = Array(repeating: Array(repeating: false, count: count), count: count)
        checker = InvariantChecker(replicaCount: count, checkDurabilityOrder: options.checkDurabilityOrder)
        trace = TraceRing(capacity: options.traceLinesMax)
    }

    /// How every replica's log is configured: small segments so runs roll and index them,
    /// `.none` durability so writes stay unsynced until the simulated fsync (`Log.sync()`),
    /// and a power loss can tear them.
    static func logConfiguration(_ disk: SimulatedDisk) -> LogConfiguration {
        var configuration = LogConfiguration()
        configuration.ioBackend = .simulated(disk)
        configuration.durability = .none
        configuration.segmentSizeBytes = 64 << 10
        configuration.recordBytesMax = 4 << 10
        configuration.batchBytesMax = 8 << 10
        // A zero-ahead lead well inside a segment, so the data catches up with it often.
        configuration.zeroAheadBytes = 16 << 10
        return configuration
    }

    static let quietLogger = Logger(label: "iris.sim", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs one seed to completion or to the first violation.
    public func run() async -> SimulationResult {
        shells = drivers.indices.map { SimulatedReplicaShell(simulation: self, node: $0) }
        for node in drivers.indices {
            guard let log = openLog(node) else { break }
            logs.append(log)
        }
        if checker.violation == nil {
            for node in drivers.indices { restart(node) }
            for index in 0..<options.clientCount {
                clients.append(SimulatedClient(target: random.int(in: 0..<drivers.count)))
                queue.schedule(at: Int64(random.int(in: 1_000...20_000)), .clientNext(client: index))
            }
            queue.schedule(at: Int64(random.int(in: 50_000...300_000)), .fault)
            queue.schedule(at: Int64(options.chaosDurationMilliseconds) * 1_000, .healAll)
        }

        while !finished, checker.violation == nil, let event = queue.pop() {
            now = event.time
            checker.now = now
            await handle(event.kind)
        }
        if checker.violation == nil { checker.checkAllAcknowledged() }
        for log in logs { await log.close() }
        statistics.simulatedMilliseconds = Double(now) / 1_000
        return SimulationResult(
            seed: options.seed, replicaCount: options.replicaCount,
            violation: checker.violation,
            trace: checker.violation == nil ? [] : trace.lines,
            statistics: statistics)
    }

    func handle(_ event: SimulationEvent) async {
        switch event {
        case .tick(let node, let incarnation):
            guard incarnation == incarnations[node], drivers[node] != nil else { return }
            trace.append(TraceRecord(time: now, node: node, kind: .tick))
            await feed(node) { driver in await driver.handle(.tick) }
            queue.schedule(at: now + tickIntervals[node], .tick(node: node, incarnation: incarnation))
        case .deliver(let envelope):
            let node = index(of: envelope.to)
            guard drivers[node] != nil else { return }
            trace.append(TraceRecord(time: now, node: node, kind: .deliver(envelope)))
            await feed(node) { driver in await driver.handle(.receive(envelope)) }
        case .logFsyncCompleted(let node, let incarnation, let ticket):
            guard incarnation == incarnations[node], drivers[node] != nil else { return }
            await completeLogSync(node, ticket)
        case .hardStateFsyncCompleted(let node, let incarnation, let state):
            guard incarnation == incarnations[node], drivers[node] != nil else { return }
            hardStates[node].durable = state
            trace.append(TraceRecord(time: now, node: node, kind: .hardStateFsync(state)))
            await feed(node) { driver in await driver.hardStatePersisted(state) }
        case .clientRequestArrives(let node, let id, let values):
            guard drivers[node] != nil else { return }
            trace.append(TraceRecord(time: now, node: node, kind: .clientAppend(id, bytes: values.reduce(0) { $0 + $1.count })))
            let records = values.map { Record(value: $0) }
            guard let batch = try? EncodedBatch(records: records, timestampMicroseconds: now) else {
                preconditionFailure("client appends hold at least one record")
            }
            await feed(node) { driver in await driver.handle(.clientAppend(id, batch: batch)) }
        case .clientTimeout(let client, let id):
            clientTimedOut(client, id)
        case .clientNext(let client):
            sendNextAppend(client)
        case .fault:
            await injectFault()
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

    func fsyncLatency(_ node: Int) -> Int64 {
        Int64(random.int(in: 200...Int(fsyncLatencyMicrosecondsMax[node])))
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

    /// Opens (recovering) a replica's log; a refusal is a storage violation.
    func openLog(_ node: Int) -> Log? {
        do {
            return try Log.open(
                directory: Self.logDirectory, configuration: Self.logConfiguration(disks[node]), logger: Self.quietLogger)
        } catch {
            checker.fail(.storage, "n\(node + 1) log failed to open after a crash: \(error)")
            return nil
        }
    }

    /// Power loss on a replica: its driver is discarded, its disk keeps what was synced and a
    /// seeded choice of the unsynced sectors (torn writes), the old log is closed, and the log
    /// is opened again at once (IrisLog recovery) so the checker sees what survived; a new
    /// driver starts later. A disk fault armed on it is gone when it comes back.
    ///
    /// - Parameters:
    ///   - attempted: frames of an append the crash interrupted: they may be on disk.
    ///   - interruptedCut: the end a truncation the crash interrupted was cutting to: it may
    ///     be found done.
    func crash(_ node: Int, attempted: [SealedFrame] = [], interruptedCut: LogEnd? = nil) async {
        guard drivers[node] != nil else { return }
        drivers[node] = nil
        pendingFailStops[node] = nil
        incarnations[node] += 1
        hardStateFsyncFreeAt[node] = now
        var written = mirrors[node]
        let before = written
        if !written.append(attempted) { preconditionFailure("an attempted append follows the log") }
        clearDiskFault(node)
        disks[node].powerLoss(seed: random.next())
        await logs[node].close()
        guard let log = openLog(node) else { return }
        logs[node] = log
        do {
            mirrors[node] = try LogMirror.reading(log)
        } catch {
            checker.fail(.storage, "n\(node + 1) recovered log unreadable: \(error)")
            return
        }
        hardStates[node].powerLoss(writeSurvives: random.chance(0.5))
        let cut = log.recoveryReport.tornTail != nil
        if cut { statistics.tornTailsCut += 1 }
        statistics.crashes += 1
        let lost = Int(before.end.rawValue) - Int(mirrors[node].end.rawValue)
        trace.append(TraceRecord(time: now, node: node, kind: .crash(lostRecords: lost, tornTailCut: cut)))
        checker.checkRecovered(node: node, written: written, after: mirrors[node], interruptedCut: interruptedCut)
        checker.checkCommittedStillHeld(mirrors: mirrors, cause: "crash of n\(node + 1)")
        // Some restarts are quick (process crash), so a replica can rejoin the same election.
        let downtime = random.chance(0.3) ? random.int(in: 1_000...20_000) : random.int(in: 20_000...400_000)
        queue.schedule(at: now + Int64(downtime), .restart(node: node))
    }
}

/// A replica's hard state as written and as made durable by its last completed fsync.
struct HardStateFile {
    var written = HardState()
    var durable = HardState()

    /// Power loss: the last write may or may not have reached the disk.
    mutating func powerLoss(writeSurvives: Bool) {
        if writeSurvives { durable = written }
        written = durable
    }
}
