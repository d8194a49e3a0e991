import IrisReplication

/// One replica's simulated storage: what was written, and what an fsync made durable.
///
/// The durable image is `entries[0..<durableCount] + ghost`: `ghost` holds durable
/// entries that a later (not yet fsynced) truncation removed from the written log.
/// A crash keeps the durable image, plus possibly a prefix of unsynced appends
/// (a torn write loses the rest).
public struct SimulatedDisk: LogReader, Sendable {
    public private(set) var entries: [Entry] = []
    private(set) var chain: [UInt64] = []
    public private(set) var durableCount = 0
    private(set) var ghost: [Entry] = []
    private(set) var ghostChain: [UInt64] = []
    /// Hard state as last written (possibly not durable).
    public var hardStateWritten = HardState()
    /// Hard state as of the last completed hard state fsync.
    public var hardStateDurable = HardState()

    public init() {}

    public var lastOffset: Offset { Offset(UInt64(entries.count)) }
    public var lastTerm: Term { entries.last?.term ?? .zero }
    /// Whether written entries are not all durable.
    public var isDirty: Bool { durableCount < entries.count || !ghost.isEmpty }

    public func entries(from first: Offset, through last: Offset, bytesMax: Int) -> [Entry] {
        var result: [Entry] = []
        var bytes = 0
        var index = Int(first.rawValue) - 1
        let end = min(Int(last.rawValue), entries.count)
        while index < end {
            let entry = entries[index]
            guard bytes + entry.accountedBytes <= bytesMax else { break }
            bytes += entry.accountedBytes
            result.append(entry)
            index += 1
        }
        return result
    }

    /// Chain hash of the written prefix through `offset`, nil beyond the log.
    func chainHash(at offset: Offset) -> UInt64? {
        let index = Int(offset.rawValue) - 1
        guard index >= 0, index < chain.count else { return nil }
        return chain[index]
    }

    /// Chain hash of the durable prefix through `offset`, nil beyond the durable image.
    func durableChainHash(at offset: Offset) -> UInt64? {
        let index = Int(offset.rawValue) - 1
        guard index >= 0 else { return nil }
        if index < durableCount { return chain[index] }
        let ghostIndex = index - durableCount
        return ghostIndex < ghostChain.count ? ghostChain[ghostIndex] : nil
    }

    /// Appends entries; returns false if they do not follow the last entry.
    mutating func append(_ newEntries: [Entry]) -> Bool {
        for entry in newEntries {
            guard entry.offset.rawValue == UInt64(entries.count + 1) else { return false }
            chain.append(ChainHash.extend(chain.last ?? 0, with: entry))
            entries.append(entry)
        }
        return true
    }

    mutating func truncate(after offset: Offset) {
        let keep = Int(offset.rawValue)
        guard keep < entries.count else { return }
        if keep < durableCount {
            ghost = Array(entries[keep..<durableCount]) + ghost
            ghostChain = Array(chain[keep..<durableCount]) + ghostChain
            durableCount = keep
        }
        entries.removeSubrange(keep...)
        chain.removeSubrange(keep...)
    }

    /// An fsync completed: everything written so far is durable.
    mutating func completeFsync() {
        durableCount = entries.count
        ghost.removeAll()
        ghostChain.removeAll()
    }

    /// Power loss: keep the durable image; if `keepUnsyncedPrefix` is given and no
    /// truncation is pending, that many unsynced appended entries also survive
    /// (the rest are torn off). Returns how many written entries were lost.
    @discardableResult
    mutating func crash(keepUnsyncedPrefix: Int, hardStateWriteSurvives: Bool) -> Int {
        let before = entries.count
        if ghost.isEmpty {
            let keep = min(entries.count, durableCount + keepUnsyncedPrefix)
            entries.removeSubrange(keep...)
            chain.removeSubrange(keep...)
        } else {
            entries.removeSubrange(durableCount...)
            chain.removeSubrange(durableCount...)
            entries.append(contentsOf: ghost)
            chain.append(contentsOf: ghostChain)
        }
        completeFsync()
        if hardStateWriteSurvives { hardStateDurable = hardStateWritten }
        hardStateWritten = hardStateDurable
        return before - entries.count
    }
}
