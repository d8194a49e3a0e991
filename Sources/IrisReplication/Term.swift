/// A Raft term: a logical epoch during which at most one leader exists.
///
/// Term 0 is the initial term of an empty replica; no entry ever carries term 0.
public struct Term: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// The term every replica starts in; never carried by an entry.
    public static let zero = Term(0)

    /// The term after this one.
    public var next: Term { Term(rawValue + 1) }

    public static func < (lhs: Term, rhs: Term) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "t\(rawValue)" }
}
