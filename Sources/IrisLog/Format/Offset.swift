/// The number of a record in a log: the first record appended to a new log has offset 0,
/// and every later record has the next number. Offsets never repeat and never go back,
/// except through an explicit `Log.truncate(after:)`.
public struct Offset: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The record's number, counted from 0.
    public var rawValue: UInt64

    /// The offset numbered `rawValue`.
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    /// The offset numbered `rawValue`.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// Orders offsets by number: an earlier record has the smaller offset.
    public static func < (lhs: Offset, rhs: Offset) -> Bool { lhs.rawValue < rhs.rawValue }
    /// The number in decimal, as `iris-log` prints it.
    public var description: String { String(rawValue) }

    /// The offset `count` records after this one.
    public func advanced(by count: UInt64) -> Offset { Offset(rawValue + count) }
}

/// A replication term (epoch). A standalone log writes term 0 unless told otherwise.
public struct Term: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The term's number; it is stored in each frame header.
    public var rawValue: UInt64

    /// The term numbered `rawValue`.
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    /// The term numbered `rawValue`.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// Orders terms by number: a later term is greater.
    public static func < (lhs: Term, rhs: Term) -> Bool { lhs.rawValue < rhs.rawValue }
    /// The number in decimal.
    public var description: String { String(rawValue) }
}

/// The end of a prefix of a log: the first n records (offsets 0..<n) end at `LogEnd(n)`.
/// A record's `Offset` and a prefix's end are different things and are kept apart by type:
/// replication names every position (commit, match, a frame) by its end, exclusive like
/// Kafka's high watermark, while a client's result names its first record. The end of a log
/// is also the offset its next record gets (`Log.nextOffset`); the conversions say which is
/// meant (`LogEnd(before:)`, `nextRecord`, `LogEnd(after:)`, `lastRecord`).
public struct LogEnd: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The number of records in the prefix.
    public var rawValue: UInt64

    /// The end of the prefix of `rawValue` records.
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    /// The end of the prefix of `rawValue` records.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// The end of the prefix before the record at `offset` (or the one it would get): for
    /// `Log.nextOffset`, a frame's `nextOffset`, or a frame's `baseOffset` as its start.
    public init(before offset: Offset) { rawValue = offset.rawValue }

    /// The end of the prefix whose last record is at `offset`.
    public init(after offset: Offset) { rawValue = offset.rawValue + 1 }

    /// The empty prefix.
    public static let zero = LogEnd(0)

    /// The offset of the record just after the prefix (the next record the log appends).
    public var nextRecord: Offset { Offset(rawValue) }

    /// The prefix's last record; nil for the empty prefix.
    public var lastRecord: Offset? { rawValue == 0 ? nil : Offset(rawValue - 1) }

    /// The end `count` records further on.
    public func advanced(by count: UInt64) -> LogEnd { LogEnd(rawValue + count) }

    /// Orders ends by length: a shorter prefix ends before a longer one.
    public static func < (lhs: LogEnd, rhs: LogEnd) -> Bool { lhs.rawValue < rhs.rawValue }
    /// The number of records in decimal.
    public var description: String { String(rawValue) }
}
