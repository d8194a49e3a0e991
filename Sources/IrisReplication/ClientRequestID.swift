import IrisLog

/// Caller-chosen identity of a client append, echoed in its `ClientResult`.
public struct ClientRequestID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The caller's number for the append; the core does not check it for uniqueness.
    public let rawValue: UInt64

    /// The request numbered `rawValue`.
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    /// The request numbered `rawValue`.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// "c" and the number, as in traces: `c17`.
    public var description: String { "c\(rawValue)" }
}
