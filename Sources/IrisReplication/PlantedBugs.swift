import IrisLog

/// TEST-ONLY switches that deliberately break the protocol, so tests can prove
/// the simulator's invariant checker notices each kind of bug.
///
/// Package access only: production configurations cannot set them (SPEC.md §9.11).
package struct PlantedBugs: OptionSet, Sendable, Hashable {
    package let rawValue: UInt32
    package init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The leader commits once a minority (floor(n/2)) holds an entry.
    package static let commitOnMinority = PlantedBugs(rawValue: 1 << 0)
    /// The vote is left out of the persisted hard state, so it is forgotten on restart.
    package static let voteNotPersisted = PlantedBugs(rawValue: 1 << 1)
    /// A follower accepts AppendRequests from a leader of a stale term.
    package static let noTermCheckOnAppend = PlantedBugs(rawValue: 1 << 2)
    /// A follower acknowledges entries before they are fsynced.
    package static let followerAcksBeforeFsync = PlantedBugs(rawValue: 1 << 3)
    /// The leader appends a client batch, then answers `notLeader` as if it had not.
    package static let notLeaderAfterAppend = PlantedBugs(rawValue: 1 << 4)

    /// Every planted bug with a stable name, for test parameterisation and CLI flags.
    package static let named: [(name: String, bug: PlantedBugs)] = [
        ("commitOnMinority", .commitOnMinority),
        ("voteNotPersisted", .voteNotPersisted),
        ("noTermCheckOnAppend", .noTermCheckOnAppend),
        ("followerAcksBeforeFsync", .followerAcksBeforeFsync),
        ("notLeaderAfterAppend", .notLeaderAfterAppend),
    ]
}
