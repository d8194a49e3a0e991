import IrisLog

/// TEST-ONLY switches that deliberately break the protocol, so tests can prove
/// the simulator's invariant checker notices each kind of bug.
///
/// Production configurations MUST use `PlantedBugs()` (empty, the default).
public struct PlantedBugs: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The leader commits once a minority (floor(n/2)) holds an entry.
    public static let commitOnMinority = PlantedBugs(rawValue: 1 << 0)
    /// The vote is left out of the persisted hard state, so it is forgotten on restart.
    public static let voteNotPersisted = PlantedBugs(rawValue: 1 << 1)
    /// A follower accepts AppendRequests from a leader of a stale term.
    public static let noTermCheckOnAppend = PlantedBugs(rawValue: 1 << 2)
    /// A follower acknowledges entries before they are fsynced.
    public static let followerAcksBeforeFsync = PlantedBugs(rawValue: 1 << 3)

    /// Every planted bug with a stable name, for test parameterisation and CLI flags.
    public static let named: [(name: String, bug: PlantedBugs)] = [
        ("commitOnMinority", .commitOnMinority),
        ("voteNotPersisted", .voteNotPersisted),
        ("noTermCheckOnAppend", .noTermCheckOnAppend),
        ("followerAcksBeforeFsync", .followerAcksBeforeFsync),
    ]
}
