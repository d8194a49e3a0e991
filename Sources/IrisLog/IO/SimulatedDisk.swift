import Synchronization

/// An in-memory disk for tests and simulations, with the faults a real disk has.
///
/// Every file keeps what was made durable by its last `fdatasync` apart from what was only
/// written. At `powerLoss(seed:)`, a seeded random choice decides, independently for each
/// one, what survives of what was not made durable:
/// - each unsynced write, per file-aligned 512-byte sector (so writes tear), and each
///   unsynced resize;
/// - each directory change (file create, unlink, rename, `mkdir`) not yet made durable by
///   an fsync of its directory: kept or undone on its own, a rename atomically. A file whose
///   create is undone vanishes even if its data was synced; an undone unlink brings the file
///   back with its durable bytes; an undone `mkdir` loses the directory and all under it.
///
/// A power loss can also be armed to strike right after the n-th mutating call
/// (`powerLoss(afterCalls:of:seed:)`). Writes and syncs can be made to fail with an errno,
/// a capacity makes writes fail with ENOSPC, and `flipBit` corrupts stored data.
public final class SimulatedDisk: Sendable {
    /// The errno a failing call reports.
    public enum Errno: Int32, Sendable {
        /// EIO (5): the log reports `LogError.io` and stops writing.
        case io = 5
        /// ENOSPC (28): the log reports `LogError.noSpace` and stops writing.
        case noSpace = 28
    }

    /// A mutating storage call, as counted by `powerLoss(afterCalls:of:seed:)`.
    public enum Call: Sendable, Hashable, CaseIterable {
        /// `pwrite`, alone or as part of a group write.
        case write
        /// `fdatasync` of a file.
        case sync
        /// `ftruncate`.
        case resize
        /// `fallocate`.
        case allocate
        /// An open that created the file.
        case create
        /// `unlink`.
        case remove
        /// `rename`.
        case rename
        /// `mkdir` that created the directory.
        case makeDirectory
        /// `fsync` of a directory.
        case syncDirectory
    }

    let state: Mutex<SimulatedDiskState>
    /// The path suffix whose fdatasyncs wait before they start (`holdSyncs`), for tests of
    /// what goes on while a sync is in flight; nil: none wait.
    private let syncGate = ConditionLock<String?>(nil)

    /// - Parameter capacityBytes: total bytes all files may hold before writes fail with ENOSPC.
    public init(capacityBytes: Int = Int.max) {
        state = Mutex(SimulatedDiskState(capacityBytes: capacityBytes))
    }

    /// Makes every later write (`pwrite` or group write) to a path ending in `pathSuffix` fail; nil stops it.
    public func failWrites(_ errno: Errno?, pathSuffix: String = "") {
        state.withLock { $0.writeFault = errno.map { ($0.rawValue, pathSuffix) } }
    }

    /// Makes every later fdatasync of a path ending in `pathSuffix` fail; nil stops it.
    public func failSyncs(_ errno: Errno?, pathSuffix: String = "") {
        state.withLock { $0.syncFault = errno.map { ($0.rawValue, pathSuffix) } }
    }

    /// Makes every later fdatasync of a file whose path ends in `pathSuffix` wait before it
    /// starts, until `releaseSyncs()`.
    func holdSyncs(pathSuffix: String) { syncGate.withLock { $0 = pathSuffix } }

    /// Lets held and later fdatasyncs run.
    func releaseSyncs() {
        syncGate.withLock { $0 = nil }
        syncGate.broadcast()
    }

    /// Waits while syncs of `path` are held.
    func waitForSyncGate(_ path: String) {
        syncGate.wait { suffix in suffix.map { path.hasSuffix($0) } == true ? nil : () }
    }

    /// Sets the capacity; writes and allocations beyond it fail with ENOSPC.
    public func setCapacity(bytes: Int) { state.withLock { $0.capacityBytes = bytes } }

    /// Bytes all files hold now.
    public var usedBytes: Int { state.withLock { $0.usedBytes } }

    /// Number of successful fdatasync calls on files.
    public var syncCount: Int { state.withLock { $0.syncCount } }

    /// Successful fdatasync calls on files by the name of the thread that made them
    /// (`pthread_getname_np`): which of the engine's threads, or an application's, synced.
    public var syncsByThread: [String: Int] { state.withLock { $0.syncsByThread } }

    /// Number of fdatasync calls that, on a real file system, would also commit metadata: each
    /// covered a write past the highest byte written to the file before (into fallocated,
    /// unwritten space, whose conversion goes to the journal) or a change of its size. The
    /// cost model behind the log's zero-ahead (SPEC.md §2.1); after a power loss every file
    /// counts as unwritten again.
    public var metadataSyncCount: Int { state.withLock { $0.metadataSyncCount } }

    /// Bytes passed to successful writes on files since the disk was created.
    public var writtenBytes: Int { state.withLock { $0.writtenBytes } }

    /// Number of mutating calls (every `Call`) that succeeded since the disk was created.
    public var mutatingCallCount: Int { state.withLock { $0.mutatingCallCount } }

    /// Number of power losses so far (each ends the storage views opened before it).
    public var powerLossCount: Int { state.withLock { $0.generation } }

    /// Simulates losing power: unsynced data and unsynced directory changes are kept or lost
    /// (seeded, each on its own), locks are released, and files opened before are unusable (EIO).
    public func powerLoss(seed: UInt64) { state.withLock { $0.powerLoss(seed: seed) } }

    /// Arms a power loss that strikes right after the `calls`-th later successful call of one
    /// of `kinds` (counting from 1): that call takes effect (a write lands in the "page
    /// cache", a sync completes), then power fails before the next call, as a crash in the
    /// middle of a log operation would. Replaces any power loss armed before.
    public func powerLoss(afterCalls calls: Int, of kinds: Set<Call> = Set(Call.allCases), seed: UInt64) {
        precondition(calls >= 1)
        state.withLock { $0.scheduledPowerLoss = (calls, kinds, seed) }
    }

    /// Disarms a power loss armed by `powerLoss(afterCalls:)` that has not struck yet.
    public func cancelScheduledPowerLoss() {
        state.withLock { $0.scheduledPowerLoss = nil }
    }

    /// `powerLoss(afterCalls: writes, of: [.write], seed: seed)`: strikes right after the
    /// `writes`-th later write to a file.
    public func powerLoss(afterWrites writes: Int, seed: UInt64) {
        powerLoss(afterCalls: writes, of: [.write], seed: seed)
    }

    /// Inverts one bit of a file's stored bytes, durable and current alike.
    public func flipBit(path: String, position: Int, bit: Int = 0) {
        state.withLock { $0.flipBit(path: path, position: position, bit: bit) }
    }

    /// The current bytes of a file, nil when it does not exist.
    public func contents(of path: String) -> [UInt8]? {
        state.withLock { disk in disk.entries[path].map { disk.nodes[$0]!.current } }
    }

    /// Replaces a file's bytes, durable at once with its directory entry (for tests that
    /// craft damaged files).
    public func setContents(of path: String, to bytes: [UInt8]) {
        state.withLock { $0.setContents(path: path, bytes: bytes) }
    }

    /// Paths of all files, sorted.
    public func paths() -> [String] { state.withLock { $0.entries.keys.sorted() } }

    /// Creates the directory `path` (its parent must exist) durably at once, as if its parent
    /// had been fsynced after the `mkdir` (for simulations that start from a prepared directory).
    public func createDurableDirectory(_ path: String) {
        state.withLock { state in
            precondition(state.makeDirectory(path), "createDurableDirectory: no parent for \(path)")
            state.syncDirectory(SimulatedDiskState.parent(of: SimulatedDiskState.normalized(path)))
        }
    }

    /// Whether `path` is a directory now.
    public func isDirectory(_ path: String) -> Bool { state.withLock { $0.directories.contains(path) } }
}

/// SplitMix64, the seeded generator of every simulation and test in the package: power-loss
/// choices here, workloads in the simulations, crash schedules in the tools.
package struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    package init(seed: UInt64) { state = seed }
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
