/// Position of a record in the replicated log.
///
/// Offsets are record numbers starting at 1; `Offset.zero` names the empty
/// prefix ("before the first record"), which always matches on every replica.
public struct Offset: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// The empty prefix.
    public static let zero = Offset(0)

    /// The offset after this one.
    public var next: Offset { Offset(rawValue + 1) }

    /// The offset before this one; `Offset.zero` stays `Offset.zero`.
    public var previous: Offset { rawValue == 0 ? self : Offset(rawValue - 1) }

    /// This offset moved forward by `count` records.
    public func advanced(by count: UInt64) -> Offset { Offset(rawValue + count) }

    public static func < (lhs: Offset, rhs: Offset) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "@\(rawValue)" }
}
