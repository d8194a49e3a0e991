/// Identity of a cluster, carried by every peer frame (SPEC.md §9.5.6) so that nodes of two
/// clusters never mix; fixed in each node's data directory (SPEC.md §11.2).
public struct ClusterID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The identifier's value.
    public let rawValue: UInt64

    /// The cluster identified by `rawValue`.
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    /// The cluster identified by `rawValue`.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// 16 hexadecimal digits.
    public var description: String {
        let digits = String(rawValue, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
