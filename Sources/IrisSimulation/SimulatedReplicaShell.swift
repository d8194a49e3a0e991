import IrisLog
import IrisNode
import IrisReplication

/// What one replica's `ReplicaDriver` asks of the simulated world: hard-state and log fsyncs
/// that complete after a seeded latency, a lossy network, the checker and the clients. Every
/// action is observed as it is executed (persist-before-send at each send, commits, client
/// answers), as `irisd` would execute it.
final class SimulatedReplicaShell: ReplicaShell {
    private unowned let simulation: Simulation
    private let node: Int

    init(simulation: Simulation, node: Int) {
        self.simulation = simulation
        self.node = node
    }

    /// Hard-state writes are atomic replacements whose fsyncs complete in request order.
    func persistHardState(_ state: HardState) {
        let simulation = simulation
        if state.term < simulation.hardStates[node].written.term {
            simulation.checker.fail(.shellContract, "n\(node + 1) persisted an older term \(state)")
        }
        simulation.hardStates[node].written = state
        let completion = max(simulation.now, simulation.hardStateFsyncFreeAt[node]) + simulation.fsyncLatency(node)
        simulation.hardStateFsyncFreeAt[node] = completion
        simulation.queue.schedule(at: completion, .hardStateFsyncCompleted(
            node: node, incarnation: simulation.incarnations[node], state))
    }

    /// The sync runs when its simulated latency has passed (`Simulation.completeLogSync`).
    func syncLog(_ ticket: LogSyncTicket) {
        let simulation = simulation
        simulation.queue.schedule(
            at: simulation.now + simulation.fsyncLatency(node),
            .logFsyncCompleted(node: node, incarnation: simulation.incarnations[node], ticket))
    }

    func send(_ envelope: Envelope) {
        let simulation = simulation
        simulation.statistics.messagesSent += 1
        simulation.checker.observeSend(
            node: node, envelope: envelope, mirror: simulation.mirrors[node], hardState: simulation.hardStates[node].durable)
        simulation.transmit(envelope)
    }

    func commitAdvanced(to offset: LogEnd) {
        let simulation = simulation
        simulation.trace.append(TraceRecord(time: simulation.now, node: node, kind: .commit(offset)))
        simulation.checker.observeCommit(node: node, to: offset, mirrors: simulation.mirrors)
    }

    func clientResult(_ id: ClientRequestID, _ result: ClientResult) {
        let simulation = simulation
        simulation.trace.append(TraceRecord(time: simulation.now, node: node, kind: .clientResult(id, result)))
        simulation.clientResult(id, result)
    }

    /// A stop that the fault armed on the replica's disk explains becomes a fail-stop (a
    /// failed log operation asked for it already); any other stop is a violation: no replica
    /// halts on its log except under an injected fault (SPEC.md §9.12).
    func replicaStopped(_ reason: ReplicaStop) {
        let simulation = simulation
        guard simulation.pendingFailStops[node] == nil else { return }
        if case .halted(let fault) = reason, let diskFault = simulation.diskFaults[node] {
            simulation.pendingFailStops[node] = PendingFailStop(
                fault: diskFault, midOperation: false, attempted: [], interruptedCut: nil, cause: "halted: \(fault)")
        } else {
            simulation.checker.fail(.storage, "n\(node + 1) \(reason)")
        }
    }
}
