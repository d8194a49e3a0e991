import IrisLog
import IrisReplication

/// Election timeouts drawn from a seeded generator (the core holds no randomness).
public struct SeededElectionTimeouts: ElectionTimeoutSource {
    var generator: SplitMix64

    /// Timeouts drawn from a `SplitMix64` seeded with `seed`.
    public init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    /// A uniformly distributed value in `range`.
    public mutating func nextElectionTimeoutTicks(in range: Range<Int>) -> Int {
        generator.int(in: range)
    }
}
