import IrisLog
import IrisReplication

/// A fault armed on one replica's `SimulatedDisk` (SPEC.md §9.12): it strikes at the replica's
/// next log operation, which fails; the replica then fail-stops and counts as crashed until
/// it restarts, with the fault gone, from what its disk kept.
enum DiskFault: Equatable {
    /// Power fails at the first write of the next append or truncation (or of the segment
    /// roll an append starts), inside the operation.
    case powerLossInNextOperation
    /// Every write fails with EIO.
    case writeError
    /// Every fdatasync fails with EIO.
    case syncError
    /// The disk is full: writes and allocations fail with ENOSPC.
    case noSpace
}

extension Simulation {
    /// Arms a disk fault on a random running replica that has none.
    func armDiskFault(midOperation: Bool) {
        let candidates = cores.indices.filter { cores[$0] != nil && diskFaults[$0] == nil }
        guard !candidates.isEmpty else { return }
        let node = candidates[random.int(in: 0..<candidates.count)]
        let fault: DiskFault = midOperation ? .powerLossInNextOperation : [.writeError, .syncError, .noSpace][random.int(in: 0..<3)]
        switch fault {
        case .powerLossInNextOperation: break  // armed on the disk right before the operation
        case .writeError: disks[node].failWrites(.io)
        case .syncError: disks[node].failSyncs(.io)
        case .noSpace: disks[node].setCapacity(bytes: disks[node].usedBytes + random.int(in: 0...4_096))
        }
        diskFaults[node] = fault
        note("disk fault on n\(node + 1): \(fault)")
    }

    /// Removes the fault armed on a replica's disk, if any.
    func clearDiskFault(_ node: Int) {
        guard let fault = diskFaults[node] else { return }
        switch fault {
        case .powerLossInNextOperation: break  // a scheduled power loss is cleared by the next one
        case .writeError: disks[node].failWrites(nil)
        case .syncError: disks[node].failSyncs(nil)
        case .noSpace: disks[node].setCapacity(bytes: Int.max)
        }
        diskFaults[node] = nil
    }

    /// Runs one log operation of a replica (an append carries its frames in `attempted`).
    /// Returns whether it succeeded and the replica runs on. A failure that the fault armed on
    /// the replica's disk explains fail-stops the replica; any other is a violation.
    func runLogOperation(
        _ node: Int, _ name: String, attempted: [SealedFrame] = [], writes: Bool,
        _ operation: () async throws(LogError) -> Void
    ) async -> Bool {
        let midOperation = writes && diskFaults[node] == .powerLossInNextOperation
        if midOperation { disks[node].powerLoss(afterWrites: 1, seed: random.next()) }
        do {
            try await operation()
        } catch {
            if let fault = diskFaults[node] {
                await failStop(node, fault: fault, midOperation: midOperation, attempted: attempted, cause: "\(name): \(error)")
            } else {
                reportLogFailure(node, name, error, attempted: attempted)
            }
            return false
        }
        guard midOperation else { return true }
        // The power loss struck at the operation's first write, and nothing after it failed
        // (an append's only write): the operation returned, but the machine is down.
        await failStop(node, fault: .powerLossInNextOperation, midOperation: true, attempted: attempted, cause: name)
        return false
    }

    /// A replica whose log failed on an armed fault stops as a crashed one does: its disk
    /// loses power (what no fsync made durable may be gone or torn, as after a failed fsync),
    /// and it restarts later from what recovery keeps.
    func failStop(_ node: Int, fault: DiskFault, midOperation: Bool, attempted: [SealedFrame], cause: String) async {
        if midOperation { statistics.crashesMidOperation += 1 } else { statistics.storageFaults += 1 }
        note("n\(node + 1) fail-stops on \(fault) (\(cause))")
        await crash(node, attempted: attempted)
    }

    func reportLogFailure(_ node: Int, _ name: String, _ error: LogError, attempted: [SealedFrame]) {
        switch error {
        case .frameChainMismatch, .frameOutOfSequence:
            checker.fail(.logMatching, "n\(node + 1) refused frames from \(attempted.first?.start ?? LogEnd(0)): \(error)")
        default:
            checker.fail(.storage, "n\(node + 1) \(name) failed: \(error)")
        }
    }
}
