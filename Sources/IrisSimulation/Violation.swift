import IrisLog
import IrisReplication

/// An invariant the checker found broken.
public struct Violation: Sendable, Hashable, CustomStringConvertible {
    /// Which property failed.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Two leaders in one term.
        case twoLeadersInOneTerm
        /// A replica voted for two different candidates in one term (e.g. after forgetting a vote).
        case votedTwiceInOneTerm
        /// Two logs hold a frame ending at the same offset with the same term but different
        /// prefixes, or a replica was sent a frame that does not chain to its log.
        case logMatching
        /// A replica committed a prefix that differs from another replica's committed prefix.
        case committedPrefixDiverged
        /// A replica's commit offset went backwards while it stayed up.
        case commitRegressed
        /// An entry was committed before a majority held it durably.
        case committedWithoutDurableMajority
        /// Fewer than a majority of replicas still hold a committed prefix.
        case committedEntryLost
        /// A client was told "committed at X" but X does not hold its bytes.
        case acknowledgedAppendLost
        /// A client append answered `notLeader`, `overloaded` or `payloadTooLarge` (nothing
        /// appended) was committed (SPEC.md §9.10 rule 1).
        case refusedAppendCommitted
        /// A message left before the hard state or entries it depends on were durable.
        case sentBeforeDurable
        /// The shell contract was broken (e.g. non-contiguous append).
        case shellContract
        /// The storage engine refused or lost data: a log failed to recover after a crash,
        /// lost a synced record, or failed a read or write.
        case storage
        /// After faults healed no append committed within the bound.
        case liveness
    }

    /// Which property failed.
    public let kind: Kind
    /// Simulated time the checker found it, in microseconds from the start of the run.
    public let timeMicroseconds: Int64
    /// What the checker saw: replicas, offsets, terms.
    public let detail: String

    /// The kind, the time in milliseconds and the detail on one line.
    public var description: String {
        "\(kind.rawValue) at \(Double(timeMicroseconds) / 1000) ms: \(detail)"
    }
}
