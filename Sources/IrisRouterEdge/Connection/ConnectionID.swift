import Synchronization

/// Names one client connection, unique within the process (never reused while it runs), so the
/// router can key its per-connection state and log lines by it.
public struct ConnectionID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The number; connections accepted later get larger numbers.
    public let rawValue: UInt64

    /// An identifier with the given number. The edge hands out its own (`next()`); this is for
    /// test doubles and for the router's records.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Orders by `rawValue`, which is acceptance order for identifiers the edge handed out.
    public static func < (lhs: ConnectionID, rhs: ConnectionID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    /// "connection N", for log lines.
    public var description: String { "connection \(rawValue)" }

    /// A fresh identifier, larger than every one handed out before in this process.
    static func next() -> ConnectionID {
        ConnectionID(rawValue: connectionCounter.add(1, ordering: .relaxed).newValue)
    }
}

/// The last identifier handed out; process-wide so that two servers in one process never share one.
private let connectionCounter = Atomic<UInt64>(0)
