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
        let candidates = drivers.indices.filter { drivers[$0] != nil && diskFaults[$0] == nil }
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

    /// Runs one log operation of a replica (an append carries its frames in `attempted`) and
    /// throws when it fails, so the replica's driver stops. A failure that the fault armed on
    /// the replica's disk explains asks for a fail-stop (`pendingFailStops`), carried out once
    /// the driver returns; any other is a violation.
    ///
    /// With a power loss armed for the next operation, it strikes after a seeded number of
    /// the operation's storage calls (1 to 8): inside an append, a roll, a sync, a truncation
    /// (between its checkpoint, unlinks, directory syncs and trim). An operation that makes
    /// fewer calls completes, and the loss waits for the next one. A truncation to `cut`
    /// that a crash interrupts may be found done or not done after recovery.
    ///
    /// - Throws: the operation's error; `LogError.failed` when the power loss struck during
    ///   an operation that returned (the process would not have lived to see it return).
    func runLogOperation(
        _ node: Int, _ name: String, attempted: [SealedFrame] = [], truncatingTo cut: LogEnd? = nil,
        _ operation: () async throws(LogError) -> Void
    ) async throws(LogError) {
        let armed = diskFaults[node] == .powerLossInNextOperation
        let lossesBefore = disks[node].powerLossCount
        if armed { disks[node].powerLoss(afterCalls: 1 + random.int(in: 0..<8), seed: random.next()) }
        var failure: LogError? = nil
        do { try await operation() } catch { failure = error }
        // Disarm before looking: the log's writer may still be making calls.
        if armed { disks[node].cancelScheduledPowerLoss() }
        let struck = armed && disks[node].powerLossCount != lossesBefore
        if struck {
            pendingFailStops[node] = PendingFailStop(
                fault: .powerLossInNextOperation, midOperation: true, attempted: attempted, interruptedCut: cut, cause: name)
            throw failure ?? .failed(cause: "power lost during \(name)")
        }
        guard let failure else { return }
        if let fault = diskFaults[node], fault != .powerLossInNextOperation {
            pendingFailStops[node] = PendingFailStop(
                fault: fault, midOperation: false, attempted: attempted, interruptedCut: cut, cause: "\(name): \(failure)")
        } else {
            reportLogFailure(node, name, failure, attempted: attempted)
        }
        throw failure
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
