import IrisLog

/// Identity of one replica in the static membership.
///
/// A distinct type (not a bare integer) so that a node identity can never be
/// confused with a term or an offset at a call site.
public struct NodeID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The replica's number; unique within `ReplicaConfiguration.members`.
    public let rawValue: UInt64

    /// The replica numbered `rawValue`.
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    /// The replica numbered `rawValue`.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// Orders replicas by number; `ReplicaConfiguration.members` is kept in this order.
    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue < rhs.rawValue }
    /// "n" and the number, as in traces: `n3`.
    public var description: String { "n\(rawValue)" }
}
