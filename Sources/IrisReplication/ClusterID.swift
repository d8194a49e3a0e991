/// Identity of a cluster, carried by every peer message so that nodes of two clusters never
/// mix.
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
