import IrisLog
import IrisNode
import IrisReplication

/// A simulated replica's log as its `ReplicaDriver` sees it: reads go straight to the
/// replica's IrisLog `Log`; appends and truncations go through the simulation, which injects
/// the armed disk fault (a power loss inside the operation, EIO, ENOSPC) and keeps the
/// replica's `LogMirror` and the checker up to date with every write.
///
/// `@unchecked Sendable`: `ReplicaLog` is `Sendable` (the core's `LogReader` is), but this
/// view holds the simulation, which is not. The simulation runs on one task, one event at a
/// time, and only the driver it calls uses the view, so the view never crosses tasks.
final class SimulatedReplicaLog: ReplicaLog, @unchecked Sendable {
    private unowned let simulation: Simulation
    private let node: Int
    private let view: LogReplicaView

    init(simulation: Simulation, node: Int, view: LogReplicaView) {
        self.simulation = simulation
        self.node = node
        self.view = view
    }

    var lastOffset: LogEnd { view.lastOffset }

    func frame(holding offset: Offset) throws(LogError) -> SealedFrame {
        try view.frame(holding: offset)
    }

    func frames(from offset: Offset, bytesMax: Int) throws(LogError) -> [SealedFrame] {
        try view.frames(from: offset, bytesMax: bytesMax)
    }

    func append(frames: [SealedFrame]) async throws(LogError) {
        try await simulation.append(frames, node: node, to: view)
    }

    func truncate(from offset: Offset) async throws(LogError) {
        try await simulation.truncate(node: node, from: offset, of: view)
    }
}

/// The log writes of a replica's driver, with fault injection and observation.
extension Simulation {
    /// `Log.append(frames:)` on a replica's log; the checker sees the new frames (log matching).
    func append(_ frames: [SealedFrame], node: Int, to view: LogReplicaView) async throws(LogError) {
        try await runLogOperation(node, "Log.append(frames:)", attempted: frames) { () throws(LogError) in
            try await view.append(frames: frames)
        }
        let firstNew = mirrors[node].frames.count
        guard mirrors[node].append(frames) else {
            preconditionFailure("the log accepted frames its mirror could not follow")
        }
        checker.observeAppend(node: node, mirror: mirrors[node], fromFrame: firstNew)
    }

    /// `Log.truncate(from:)` on a replica's log; every committed record must still be held by
    /// a majority afterwards.
    func truncate(node: Int, from offset: Offset, of view: LogReplicaView) async throws(LogError) {
        let cut = LogEnd(before: offset)
        try await runLogOperation(node, "Log.truncate(from: \(offset))", truncatingTo: cut) { () throws(LogError) in
            try await view.truncate(from: offset)
        }
        mirrors[node].truncate(from: cut)
        checker.checkCommittedStillHeld(mirrors: mirrors, cause: "truncation on n\(node + 1)")
    }
}
