import Synchronization

/// An in-memory disk for tests and simulations, with the faults a real disk has.
///
/// Every file keeps what was made durable by its last `fdatasync` apart from what was only
/// written. `powerLoss(seed:)` keeps the durable bytes and a seeded random choice of the
/// unsynced writes, each 512-byte sector independently (so writes tear), and forgets
/// directory changes (create, rename, remove) not followed by a directory fsync.
/// Writes and syncs can be made to fail with an errno, a capacity makes writes fail with
/// ENOSPC, and `flipBit` corrupts stored data.
public final class SimulatedDisk: Sendable {
    /// The errno a failing call reports.
    public enum Errno: Int32, Sendable {
        case io = 5
        case noSpace = 28
    }

    let state: Mutex<SimulatedDiskState>

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

    /// Sets the capacity; writes and allocations beyond it fail with ENOSPC.
    public func setCapacity(bytes: Int) { state.withLock { $0.capacityBytes = bytes } }

    /// Bytes all files hold now.
    public var usedBytes: Int { state.withLock { $0.usedBytes } }

    /// Number of successful fdatasync calls on files.
    public var syncCount: Int { state.withLock { $0.syncCount } }

    /// Simulates losing power: unsynced data is dropped or torn (seeded), unsynced directory
    /// changes are undone, locks are released, and files opened before are unusable (EIO).
    public func powerLoss(seed: UInt64) { state.withLock { $0.powerLoss(seed: seed) } }

    /// Arms a power loss that strikes right after the `writes`-th later write to a file
    /// (counting from 1): that write lands in the "page cache", then power fails before any
    /// sync can cover it, as a crash in the middle of a group would.
    public func powerLoss(afterWrites writes: Int, seed: UInt64) {
        precondition(writes >= 1)
        state.withLock { $0.scheduledPowerLoss = (writes, seed) }
    }

    /// Inverts one bit of a file's stored bytes, durable and current alike.
    public func flipBit(path: String, position: Int, bit: Int = 0) {
        state.withLock { $0.flipBit(path: path, position: position, bit: bit) }
    }

    /// The current bytes of a file, nil when it does not exist.
    public func contents(of path: String) -> [UInt8]? {
        state.withLock { disk in disk.entries[path].map { disk.nodes[$0]!.current } }
    }

    /// Replaces a file's bytes, durable at once (for tests that craft damaged files).
    public func setContents(of path: String, to bytes: [UInt8]) {
        state.withLock { $0.setContents(path: path, bytes: bytes) }
    }

    /// Paths of all files, sorted.
    public func paths() -> [String] { state.withLock { $0.entries.keys.sorted() } }
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

struct SimulatedDiskState {
    enum PendingChange { case write(position: Int, bytes: [UInt8]), resize(Int) }
    struct Node {
        var current: [UInt8] = []
        var durable: [UInt8] = []
        var pending: [PendingChange] = []
    }

    var capacityBytes: Int
    var nodes: [Int: Node] = [:]
    var entries: [String: Int] = [:]
    var durableEntries: [String: Int] = [:]
    var locks: Set<String> = []
    /// Directories exist from creation on; the simulation does not lose them.
    var directories: Set<String> = []
    var nextNodeID = 1
    var generation = 0
    var writeFault: (Int32, String)?
    var syncFault: (Int32, String)?
    var syncCount = 0
    var scheduledPowerLoss: (writes: Int, seed: UInt64)?

    init(capacityBytes: Int) { self.capacityBytes = capacityBytes }

    var usedBytes: Int { nodes.values.reduce(0) { $0 + $1.current.count } }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }

    mutating func resize(_ id: Int, to size: Int, path: String) throws {
        let current = nodes[id]!.current.count
        if size > current && usedBytes + size - current > capacityBytes {
            throw StorageError(operation: "fallocate", path: path, errno: SimulatedDisk.Errno.noSpace.rawValue)
        }
        if size < current { nodes[id]!.current.removeLast(current - size) }
        else { nodes[id]!.current.append(contentsOf: repeatElement(0, count: size - current)) }
        nodes[id]!.pending.append(.resize(size))
    }

    mutating func write(_ id: Int, _ bytes: UnsafeRawBufferPointer, at position: Int, path: String) throws {
        if let (errno, suffix) = writeFault, path.hasSuffix(suffix) {
            throw StorageError(operation: "pwrite", path: path, errno: errno)
        }
        let end = position + bytes.count
        if end > nodes[id]!.current.count { try resize(id, to: end, path: path) }
        nodes[id]!.current.withUnsafeMutableBytes {
            UnsafeMutableRawBufferPointer(rebasing: $0[position..<end]).copyMemory(from: bytes)
        }
        nodes[id]!.pending.append(.write(position: position, bytes: [UInt8](bytes)))
        if let (writes, seed) = scheduledPowerLoss {
            scheduledPowerLoss = writes == 1 ? nil : (writes - 1, seed)
            if writes == 1 { powerLoss(seed: seed) }
        }
    }

    mutating func sync(_ id: Int, path: String) throws {
        if let (errno, suffix) = syncFault, path.hasSuffix(suffix) {
            // A failed sync may have written some of the data: keep the pending changes unsynced.
            throw StorageError(operation: "fdatasync", path: path, errno: errno)
        }
        nodes[id]!.durable = nodes[id]!.current
        nodes[id]!.pending.removeAll()
        syncCount += 1
    }

    mutating func syncDirectory(_ directory: String) {
        for (path, _) in durableEntries where SimulatedDiskState.parent(of: path) == directory && entries[path] == nil {
            durableEntries[path] = nil
        }
        for (path, id) in entries where SimulatedDiskState.parent(of: path) == directory {
            durableEntries[path] = id
        }
    }

    mutating func powerLoss(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        entries = durableEntries
        let live = Set(entries.values)
        nodes = nodes.filter { live.contains($0.key) }
        for id in nodes.keys.sorted() {
            var node = nodes[id]!
            var result = node.durable
            for change in node.pending {
                switch change {
                case .resize(let size):
                    guard random.next() & 1 == 0 else { continue }
                    if size < result.count { result.removeLast(result.count - size) }
                    else { result.append(contentsOf: repeatElement(0, count: size - result.count)) }
                case .write(let position, let bytes):
                    var sector = 0
                    while sector < bytes.count {
                        let sectorEnd = min(sector + 512, bytes.count)
                        if random.next() & 1 == 0 {
                            let end = position + sectorEnd
                            if end > result.count { result.append(contentsOf: repeatElement(0, count: end - result.count)) }
                            result.replaceSubrange(position + sector..<end, with: bytes[sector..<sectorEnd])
                        }
                        sector = sectorEnd
                    }
                }
            }
            node.current = result
            node.durable = result
            node.pending = []
            nodes[id] = node
        }
        locks.removeAll()
        scheduledPowerLoss = nil
        generation += 1
    }

    mutating func flipBit(path: String, position: Int, bit: Int) {
        guard let id = entries[path] else { preconditionFailure("flipBit: no file \(path)") }
        nodes[id]!.current[position] ^= UInt8(1 << bit)
        if position < nodes[id]!.durable.count { nodes[id]!.durable[position] ^= UInt8(1 << bit) }
    }

    mutating func setContents(path: String, bytes: [UInt8]) {
        var id = nextNodeID
        if let existing = entries[path] { id = existing } else { nextNodeID += 1 }
        nodes[id] = Node(current: bytes, durable: bytes, pending: [])
        entries[path] = id
        durableEntries[path] = id
    }
}
