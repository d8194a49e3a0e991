/// The number of a record in a log: the first record appended to a new log has offset 0,
/// and every later record has the next number. Offsets never repeat and never go back,
/// except through an explicit `Log.truncate(after:)`.
public struct Offset: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public static func < (lhs: Offset, rhs: Offset) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }

    /// The offset `count` records after this one.
    public func advanced(by count: UInt64) -> Offset { Offset(rawValue + count) }
}

/// A replication term (epoch). A standalone log writes term 0 unless told otherwise.
public struct Term: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    public static func < (lhs: Term, rhs: Term) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}
