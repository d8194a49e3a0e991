import IrisLog
import IrisReplication

/// Runs one replica: feeds events to its `ReplicaCore` and executes the actions, in order,
/// against its log and its shell. The simulator and `irisd` run this same type, the simulator
/// with a simulated disk, network and clock, `irisd` with real logs and SwiftNIO (SPEC.md §9.1).
///
/// The driver keeps the shell contract of SPEC.md §9.1-9.3: the actions of a step are executed
/// in list order, except that the sends that directly follow an append are transmitted before
/// that append is awaited (sends are safe at once); every log write of a step is applied (written) before the next step, because
/// each step's writes are awaited; after an append it asks for a sync, one at a time, and
/// reports `logPersisted` for what that sync covered; after `halt` or a log failure it stops
/// and takes no more events.
///
/// Not thread-safe: one owner calls it, one event at a time (a partition's loop in `irisd`,
/// the event loop in the simulator), awaiting each call before the next.
public final class ReplicaDriver {
    /// The core; read its role, leader, term and offsets between calls.
    public private(set) var core: ReplicaCore
    /// The log the core's actions write.
    public let log: any ReplicaLog
    /// Why the replica stopped; once set, every call is ignored.
    public private(set) var stopReason: ReplicaStop?

    private unowned let shell: any ReplicaShell
    /// Truncations so far: a sync that began before the latest one proves nothing.
    private var generation: UInt64 = 0
    private var syncInFlight = false
    /// Frames were written (or a truncation ran) since the last sync was asked for.
    private var unsynced = false

    /// Starts a replica from its durable state: the hard state and the recovered log (all of
    /// it treated as durable).
    ///
    /// - Throws: `ReplicaFault` when the log cannot be read or is not a valid replicated log.
    public init(
        configuration: ReplicaConfiguration, hardState: HardState, log: any ReplicaLog,
        timeoutSource: some ElectionTimeoutSource, shell: any ReplicaShell
    ) throws(ReplicaFault) {
        self.core = try ReplicaCore(configuration: configuration, hardState: hardState, log: log, timeoutSource: timeoutSource)
        self.log = log
        self.shell = shell
    }

    /// Whether the replica stopped.
    public var isStopped: Bool { stopReason != nil }

    /// Feeds one event to the core and executes its actions.
    public func handle(_ event: Event) async {
        guard stopReason == nil else { return }
        let actions = core.step(event, log: log)
        var next = 0
        while next < actions.count {
            guard stopReason == nil else { return }
            let action = actions[next]
            next += 1
            if case .appendToLog = action {
                // The sends right after an append go out before it is written: every send is
                // safe to transmit at once (SPEC.md §9.1 rule 2), so a leader's followers write
                // while it writes, instead of one log write later.
                while next < actions.count, case .send(let envelope) = actions[next] {
                    shell.send(envelope)
                    next += 1
                }
            }
            await execute(action)
        }
        guard stopReason == nil else { return }
        requestSyncIfNeeded()
    }

    /// The hard state `state` asked for by `ReplicaShell.persistHardState(_:)` is durable.
    public func hardStatePersisted(_ state: HardState) async {
        await handle(.hardStatePersisted(state))
    }

    /// The sync of `ticket` returned: reports what it covered, unless a truncation ran since
    /// it began, and asks for the next sync if more was written meanwhile.
    public func logSyncCompleted(_ ticket: LogSyncTicket) async {
        guard stopReason == nil else { return }
        precondition(syncInFlight, "a sync completed that the driver did not ask for")
        syncInFlight = false
        if ticket.generation == generation, ticket.end > .zero {
            await handle(.logPersisted(through: ticket.end, term: ticket.term))
        } else {
            unsynced = true
            requestSyncIfNeeded()
        }
    }

    /// Stops the replica (idempotent): the shell hears why once, and later calls do nothing.
    public func stop(_ reason: ReplicaStop) {
        guard stopReason == nil else { return }
        stopReason = reason
        shell.replicaStopped(reason)
    }

    private func execute(_ action: Action) async {
        switch action {
        case .persistHardState(let state):
            shell.persistHardState(state)
        case .truncateLog(let cut):
            do {
                try await log.truncate(from: cut.nextRecord)
            } catch {
                stop(.logFailed(error))
                return
            }
            generation &+= 1
            unsynced = true
        case .appendToLog(let frames):
            do {
                try await log.append(frames: frames)
            } catch {
                stop(.logFailed(error))
                return
            }
            unsynced = true
        case .send(let envelope):
            shell.send(envelope)
        case .commitAdvanced(let offset):
            shell.commitAdvanced(to: offset)
        case .clientResult(let id, let result):
            shell.clientResult(id, result)
        case .halt(let fault):
            stop(.halted(fault))
        }
    }

    /// Asks for a sync of everything written so far, unless one is in flight (its completion
    /// asks again) or nothing is unsynced.
    private func requestSyncIfNeeded() {
        guard unsynced, !syncInFlight, core.lastOffset > .zero else { return }
        unsynced = false
        syncInFlight = true
        shell.syncLog(LogSyncTicket(end: core.lastOffset, term: core.termIndex.lastTerm, generation: generation))
    }
}
