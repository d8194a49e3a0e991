/// The state behind a `SimulatedDisk`: file contents (current and durable), the namespace
/// (current and durable) and the changes to either that a power loss may keep or lose.
struct SimulatedDiskState {
    enum PendingChange { case write(position: Int, bytes: [UInt8]), resize(Int) }

    /// A file's contents; it outlives its names (an unlinked file can still be open, and a
    /// lost unlink brings it back), and is dropped at power loss when no name is left.
    struct Node {
        var current: [UInt8] = []
        var durable: [UInt8] = []
        var pending: [PendingChange] = []
        /// The cost model of `metadataSyncCount`: the end of the bytes ever written (a log
        /// writes in order, so they form a prefix), and whether a change since the last sync
        /// went past it or changed the size.
        var writtenEnd = 0
        var metadataChanged = false
    }

    /// A directory change not yet made durable by an fsync of `directory`.
    enum NameChange {
        case create(path: String, node: Int)
        case remove(path: String, node: Int)
        case rename(from: String, to: String, node: Int)
        case makeDirectory(path: String)

        /// The directory whose fsync makes the change durable.
        var directory: String {
            switch self {
            case .create(let path, _), .remove(let path, _), .makeDirectory(let path): SimulatedDiskState.parent(of: path)
            case .rename(_, let to, _): SimulatedDiskState.parent(of: to)
            }
        }
    }

    static let sectorBytes = 512
    static let root = "/"

    var capacityBytes: Int
    var nodes: [Int: Node] = [:]
    /// Files as the running process sees them, and as they would be after a crash if no
    /// pending name change survived.
    var entries: [String: Int] = [:]
    var durableEntries: [String: Int] = [:]
    var directories: Set<String> = [root]
    var durableDirectories: Set<String> = [root]
    /// In call order; a directory fsync makes those of its directory durable.
    var pendingNames: [NameChange] = []
    var locks: Set<String> = []
    var nextNodeID = 1
    var generation = 0
    var writeFault: (Int32, String)?
    var syncFault: (Int32, String)?
    var syncCount = 0
    var syncsByThread: [String: Int] = [:]
    var metadataSyncCount = 0
    var writtenBytes = 0
    var mutatingCallCount = 0
    var scheduledPowerLoss: (calls: Int, kinds: Set<SimulatedDisk.Call>, seed: UInt64)?

    init(capacityBytes: Int) { self.capacityBytes = capacityBytes }

    var usedBytes: Int { Set(entries.values).reduce(0) { $0 + nodes[$1]!.current.count } }

    /// The directory holding `path`: "/" for "/log", "/log" for "/log/x", "." for "x".
    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? root : String(path[..<slash])
    }

    /// `path` without trailing slashes ("/" stays "/", "" is ".").
    static func normalized(_ path: String) -> String {
        var path = Substring(path)
        while path.count > 1 && path.hasSuffix("/") { path = path.dropLast() }
        return path.isEmpty ? "." : String(path)
    }

    /// Counts a successful mutating call, and strikes the armed power loss when it is due.
    mutating func called(_ call: SimulatedDisk.Call) {
        mutatingCallCount += 1
        guard let (calls, kinds, seed) = scheduledPowerLoss, kinds.contains(call) else { return }
        if calls == 1 { powerLoss(seed: seed) } else { scheduledPowerLoss = (calls - 1, kinds, seed) }
    }

    // MARK: Files

    mutating func resize(_ id: Int, to size: Int, path: String) throws(StorageError) {
        let current = nodes[id]!.current.count
        if size > current && capacityBytes != Int.max && usedBytes + size - current > capacityBytes {
            throw StorageError(operation: "fallocate", path: path, errno: SimulatedDisk.Errno.noSpace.rawValue)
        }
        if size < current { nodes[id]!.current.removeLast(current - size) }
        else { nodes[id]!.current.append(contentsOf: repeatElement(0, count: size - current)) }
        nodes[id]!.writtenEnd = min(nodes[id]!.writtenEnd, size)
        nodes[id]!.metadataChanged = nodes[id]!.metadataChanged || size != current
        nodes[id]!.pending.append(.resize(size))
    }

    mutating func write(_ id: Int, _ bytes: UnsafeRawBufferPointer, at position: Int, path: String) throws(StorageError) {
        if let (errno, suffix) = writeFault, path.hasSuffix(suffix) {
            throw StorageError(operation: "pwrite", path: path, errno: errno)
        }
        let end = position + bytes.count
        if end > nodes[id]!.current.count { try resize(id, to: end, path: path) }
        nodes[id]!.current.withUnsafeMutableBytes {
            UnsafeMutableRawBufferPointer(rebasing: $0[position..<end]).copyMemory(from: bytes)
        }
        nodes[id]!.pending.append(.write(position: position, bytes: [UInt8](bytes)))
        writtenBytes += bytes.count
        if end > nodes[id]!.writtenEnd {
            nodes[id]!.writtenEnd = end
            nodes[id]!.metadataChanged = true
        }
        called(.write)
    }

    mutating func sync(_ id: Int, path: String, thread: String) throws(StorageError) {
        if let (errno, suffix) = syncFault, path.hasSuffix(suffix) {
            // A failed sync may have written some of the data: keep the pending changes unsynced.
            throw StorageError(operation: "fdatasync", path: path, errno: errno)
        }
        nodes[id]!.durable = nodes[id]!.current
        nodes[id]!.pending.removeAll()
        syncCount += 1
        syncsByThread[thread, default: 0] += 1
        if nodes[id]!.metadataChanged { metadataSyncCount += 1 }
        nodes[id]!.metadataChanged = false
        called(.sync)
    }

    // MARK: Names

    mutating func create(_ path: String) -> Int {
        let id = nextNodeID
        nextNodeID += 1
        nodes[id] = Node()
        entries[path] = id
        pendingNames.append(.create(path: path, node: id))
        called(.create)
        return id
    }

    mutating func remove(_ path: String) -> Bool {
        guard let id = entries.removeValue(forKey: path) else { return false }
        pendingNames.append(.remove(path: path, node: id))
        called(.remove)
        return true
    }

    mutating func rename(from: String, to: String) -> Bool {
        guard let id = entries.removeValue(forKey: from) else { return false }
        entries[to] = id
        pendingNames.append(.rename(from: from, to: to, node: id))
        called(.rename)
        return true
    }

    /// `mkdir`: false when the parent is missing; true (and no change) when it exists already.
    mutating func makeDirectory(_ path: String) -> Bool {
        let path = Self.normalized(path)
        guard !directories.contains(path) else { return true }
        guard directories.contains(Self.parent(of: path)) else { return false }
        directories.insert(path)
        pendingNames.append(.makeDirectory(path: path))
        called(.makeDirectory)
        return true
    }

    /// fsync of a directory: its pending changes become durable, in call order.
    mutating func syncDirectory(_ directory: String) {
        let directory = Self.normalized(directory)
        var kept: [NameChange] = []
        for change in pendingNames {
            if change.directory == directory {
                Self.apply(change, entries: &durableEntries, directories: &durableDirectories)
            } else {
                kept.append(change)
            }
        }
        pendingNames = kept
        called(.syncDirectory)
    }

    /// Applies a change to a namespace as the disk would replay it: an unlink or rename of a
    /// name that does not (durably) point at the same file does nothing.
    static func apply(_ change: NameChange, entries: inout [String: Int], directories: inout Set<String>) {
        switch change {
        case .create(let path, let node): entries[path] = node
        case .remove(let path, let node): if entries[path] == node { entries[path] = nil }
        case .rename(let from, let to, let node):
            if entries[from] == node {
                entries[from] = nil
                entries[to] = node
            }
        case .makeDirectory(let path): directories.insert(path)
        }
    }

    // MARK: Power loss

    mutating func powerLoss(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var survivingEntries = durableEntries
        var survivingDirectories = durableDirectories
        for change in pendingNames where random.next() & 1 == 0 {
            Self.apply(change, entries: &survivingEntries, directories: &survivingDirectories)
        }
        // A directory whose own entry was lost takes everything under it.
        survivingDirectories = survivingDirectories.filter { Self.isReachable($0, in: survivingDirectories) }
        entries = survivingEntries.filter { survivingDirectories.contains(Self.parent(of: $0.key)) }
        directories = survivingDirectories
        durableEntries = entries
        durableDirectories = directories
        pendingNames = []
        let live = Set(entries.values)
        nodes = nodes.filter { live.contains($0.key) }
        for id in nodes.keys.sorted() {
            nodes[id] = Self.survivor(of: nodes[id]!, random: &random)
        }
        locks.removeAll()
        scheduledPowerLoss = nil
        generation += 1
    }

    static func isReachable(_ directory: String, in directories: Set<String>) -> Bool {
        var directory = directory
        while directory != root && directory != "." {
            directory = parent(of: directory)
            guard directories.contains(directory) else { return false }
        }
        return true
    }

    /// What is left of a file after power loss: its durable bytes, then each pending resize
    /// kept or not, and each file-aligned sector of each pending write kept or not.
    static func survivor(of node: Node, random: inout SplitMix64) -> Node {
        var result = node.durable
        for change in node.pending {
            switch change {
            case .resize(let size):
                guard random.next() & 1 == 0 else { continue }
                if size < result.count { result.removeLast(result.count - size) }
                else { result.append(contentsOf: repeatElement(0, count: size - result.count)) }
            case .write(let position, let bytes):
                let end = position + bytes.count
                var start = position
                while start < end {
                    let sectorEnd = min((start / sectorBytes + 1) * sectorBytes, end)
                    if random.next() & 1 == 0 {
                        if sectorEnd > result.count { result.append(contentsOf: repeatElement(0, count: sectorEnd - result.count)) }
                        result.replaceSubrange(start..<sectorEnd, with: bytes[(start - position)..<(sectorEnd - position)])
                    }
                    start = sectorEnd
                }
            }
        }
        return Node(current: result, durable: result, pending: [])
    }

    // MARK: Test helpers

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
