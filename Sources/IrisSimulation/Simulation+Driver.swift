import IrisLog
import IrisNode
import IrisReplication

/// Running each replica through its `ReplicaDriver`: starting one, feeding it events,
/// completing its log syncs, and stopping the replica when the driver stops.
extension Simulation {
    /// Starts a replica that is down: a new driver from the durable hard state and the
    /// recovered log, whose first tick comes within one tick interval.
    func restart(_ node: Int) {
        guard drivers[node] == nil else { return }
        let log = SimulatedReplicaLog(simulation: self, node: node, view: LogReplicaView(log: logs[node]))
        do {
            drivers[node] = try ReplicaDriver(
                configuration: configurations[node],
                hardState: hardStates[node].durable,
                log: log,
                timeoutSource: SeededElectionTimeouts(seed: random.next()),
                shell: shells[node])
        } catch {
            checker.fail(.storage, "n\(node + 1) cannot start: \(error)")
            return
        }
        checker.observeRestart(node: node)
        trace.append(TraceRecord(time: now, node: node, kind: .restart))
        queue.schedule(
            at: now + Int64(random.int(in: 1...Int(tickIntervals[node]))),
            .tick(node: node, incarnation: incarnations[node]))
    }

    /// Hands one event to a running replica's driver (`deliver` calls one of its methods),
    /// then carries out a fail-stop it asked for, or checks the role it ended in.
    func feed(_ node: Int, _ deliver: (ReplicaDriver) async -> Void) async {
        guard let driver = drivers[node] else { return }
        statistics.steps += 1
        let wasLeader = driver.core.role == .leader
        await deliver(driver)
        guard !driver.isStopped else {
            await failStopIfAsked(node)
            return
        }
        let core = driver.core
        if !wasLeader && core.role == .leader {
            trace.append(TraceRecord(time: now, node: node, kind: .becameLeader(core.hardState.term)))
        }
        checker.observeRole(node: node, core: core)
    }

    /// The simulated fsync the driver asked for with `ticket` completes: `Log.sync()` runs now
    /// (through the fault injection of `runLogOperation`), then the driver hears of it. A
    /// failed sync stops the replica (SPEC.md §9.3.1 rule 3): nothing it covered is reported.
    func completeLogSync(_ node: Int, _ ticket: LogSyncTicket) async {
        guard let driver = drivers[node] else { return }
        if !options.skipLogSync {
            let log = logs[node]
            do {
                try await runLogOperation(node, "Log.sync()") { () throws(LogError) in try await log.sync() }
            } catch {
                driver.stop(.logFailed(error))
                await failStopIfAsked(node)
                return
            }
        }
        mirrors[node].synced()
        trace.append(TraceRecord(time: now, node: node, kind: .logFsync(through: ticket.end)))
        await feed(node) { driver in await driver.logSyncCompleted(ticket) }
    }

    /// Carries out the fail-stop a stopped replica asked for: a power loss of its disk and
    /// recovery of its log, as for a crash (`crash`). Without one, the stop was a violation
    /// that the checker already holds.
    func failStopIfAsked(_ node: Int) async {
        guard let failStop = pendingFailStops[node] else { return }
        pendingFailStops[node] = nil
        if failStop.midOperation { statistics.crashesMidOperation += 1 } else { statistics.storageFaults += 1 }
        note("n\(node + 1) fail-stops on \(failStop.fault) (\(failStop.cause))")
        await crash(node, attempted: failStop.attempted, interruptedCut: failStop.interruptedCut)
    }
}

/// A replica's fail-stop, asked for while its driver runs and carried out once it returns.
struct PendingFailStop {
    /// The armed disk fault that explains the failure.
    let fault: DiskFault
    /// Whether a power loss struck inside a log operation (else a storage fault stopped it).
    let midOperation: Bool
    /// Frames of the append that failed: they may be on disk.
    let attempted: [SealedFrame]
    /// The end a failed truncation was cutting to: it may be found done.
    let interruptedCut: LogEnd?
    /// What failed, for the trace.
    let cause: String
}
