/// Identity of one partition of a cluster: its number, 0 ..< partition count.
///
/// A distinct type (not a bare integer) so that a partition can never be confused with a
/// node, a term or an offset at a call site. Partition K's log lives in `DATA/partitions/K/`.
public struct PartitionID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The partition's number, 0 ..< `Placement.partitionCount`.
    public let rawValue: UInt32

    /// The partition numbered `rawValue`.
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// The partition numbered `rawValue`.
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    /// Orders partitions by number.
    public static func < (lhs: PartitionID, rhs: PartitionID) -> Bool { lhs.rawValue < rhs.rawValue }
    /// "p" and the number, as in traces: `p7`.
    public var description: String { "p\(rawValue)" }
}
