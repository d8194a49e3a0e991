import IrisLog

/// Supplies randomized election timeouts. Injected by the shell so the core holds
/// no randomness: a simulator passes a seeded generator, production a seeded one
/// from the system's entropy.
public protocol ElectionTimeoutSource: Sendable {
    /// A value in `range` (the core checks and traps otherwise).
    mutating func nextElectionTimeoutTicks(in range: Range<Int>) -> Int
}
