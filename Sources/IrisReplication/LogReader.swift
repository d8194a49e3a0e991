/// Read-only view of the replica's local log (written entries, durable or not),
/// injected into `ReplicaCore.step` so the core never holds the log in memory:
/// entries for a peer are read on demand, however far behind it is.
public protocol LogReader {
    /// Offset of the last written entry, `Offset.zero` if the log is empty.
    var lastOffset: Offset { get }
    /// Entries from `first` through at most `last`, stopping before the entry
    /// that would make the sum of `Entry.accountedBytes` exceed `bytesMax`.
    /// Returns an empty array if the first entry alone exceeds `bytesMax`.
    func entries(from first: Offset, through last: Offset, bytesMax: Int) -> [Entry]
}
