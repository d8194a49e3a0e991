import IrisLog
/// Small seeded pseudo-random generator (SplitMix64). The simulator never uses
/// system randomness, so every run is reproducible from its seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's whole state; the same state gives the same sequence.
    public private(set) var state: UInt64

    /// A generator starting from `seed` (any value, 0 included).
    public init(seed: UInt64) { state = seed }

    /// The next 64 pseudo-random bits (Steele, Lea and Flood's SplitMix64 step).
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    /// A uniformly distributed value in `range` (which must not be empty).
    public mutating func int(in range: Range<Int>) -> Int {
        precondition(!range.isEmpty, "empty range")
        return range.lowerBound + Int(next() % UInt64(range.count))
    }

    /// A uniformly distributed value in `range`.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    /// True with probability `probability` (0...1).
    public mutating func chance(_ probability: Double) -> Bool {
        guard probability > 0 else { return false }
        return Double(next() >> 11) * 0x1.0p-53 < probability
    }
}
