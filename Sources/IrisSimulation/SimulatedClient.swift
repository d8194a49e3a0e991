import IrisLog
/// A workload client with at most one outstanding append.
struct SimulatedClient {
    /// Replica index the client currently believes leads.
    var target: Int
    var outstanding: OutstandingAppend?
    var sequence: UInt64 = 0
}

/// An append a client is waiting on.
struct OutstandingAppend {
    let requestRawValue: UInt64
    /// The values of the records appended, in order.
    let values: [[UInt8]]
    let sentAt: Int64
}
