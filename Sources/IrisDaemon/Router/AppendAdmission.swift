import IrisRouter

/// Admission control of one shard (SPEC.md §16.3): a bound on the records and bytes the shard
/// has appended to its partition and not yet heard back about. While the bound is reached, an
/// event from a connection (its CONNECT, a packet, its close) is held here instead of reaching
/// the core, and the connection that sent it is paused (the edge stops reading its socket); once
/// the appends in flight drop to half the bound, held events are released in arrival order until
/// the bound is reached again, and a connection whose events have all run is resumed. Nothing is
/// dropped and no connection is closed for load. The shell does not count the appends of closes
/// (never held, bounded by the connections that close). Pure: no lock, clock or I/O; the shell
/// (`RouterShard`) calls it under its lock and carries out the pauses and resumes.
struct AppendAdmission {
    /// The bound. Each is at least 1; the mailbox of a partition holds 4,096 appends, so
    /// `recordsMax` stays below it and the shard's appends are never refused as overloaded.
    struct Limits: Sendable, Equatable {
        var recordsMax = 2_048
        var bytesMax = 16 << 20
    }

    /// What to do with an event from a connection.
    enum Decision: Equatable {
        /// Hand it to the core now.
        case run
        /// Held; `pause` is true when the connection was not paused yet and must be now.
        case hold(pause: Bool)
    }

    /// A held event released to the core; `resume` is true when it was its connection's last.
    struct Release {
        var token: ConnectionToken
        var event: ShardEvent
        var resume: Bool
    }

    let limits: Limits
    /// Records and key+value bytes appended and not yet answered.
    private(set) var recordsInFlight = 0
    private(set) var bytesInFlight = 0
    /// The most records ever in flight at once.
    private(set) var recordsInFlightPeak = 0
    /// Held events in arrival order (`heldStart` is the first not yet released).
    private var held: [(token: ConnectionToken, event: ShardEvent)] = []
    private var heldStart = 0
    /// Held events per paused connection.
    private var heldCounts: [ConnectionToken: Int] = [:]
    /// Set from when appends drop to half the bound until the next release runs out.
    private var releasing = false

    init(limits: Limits) {
        precondition(limits.recordsMax >= 1 && limits.bytesMax >= 1, "admission limits are at least 1")
        self.limits = limits
    }

    /// Connections paused now.
    var pausedCount: Int { heldCounts.count }

    /// Events held now.
    var heldCount: Int { held.count - heldStart }

    /// The bound is reached: no event from a connection is admitted.
    var isFull: Bool { recordsInFlight >= limits.recordsMax || bytesInFlight >= limits.bytesMax }

    /// Admits an event of `token` (CONNECT, packet or close) or holds it. A close is held only
    /// behind events of its own connection; anything else is held while the bound is reached or
    /// while other events wait (they arrived first).
    mutating func offer(_ event: ShardEvent, from token: ConnectionToken, isClose: Bool) -> Decision {
        let paused = heldCounts[token] != nil
        if isClose && !paused { return .run }
        if !isClose && !isFull && heldCount == 0 { return .run }
        held.append((token, event))
        heldCounts[token, default: 0] += 1
        return .hold(pause: !paused)
    }

    /// The shard appended `records` records of `bytes` key+value bytes.
    mutating func started(records: Int, bytes: Int) {
        recordsInFlight += records
        bytesInFlight += bytes
        recordsInFlightPeak = max(recordsInFlightPeak, recordsInFlight)
    }

    /// An append was answered (committed or failed). Returns true when held events may now be
    /// released and no release is under way: the shell then calls `nextRelease()` until nil.
    mutating func finished(records: Int, bytes: Int) -> Bool {
        precondition(records <= recordsInFlight && bytes <= bytesInFlight, "an append is answered once")
        recordsInFlight -= records
        bytesInFlight -= bytes
        let low = recordsInFlight <= limits.recordsMax / 2 && bytesInFlight <= limits.bytesMax / 2
        guard !releasing, heldCount > 0, low else { return false }
        releasing = true
        return true
    }

    /// The next held event to run, or nil when none is held or the bound is reached again
    /// (the release then ends; a later `finished` starts the next).
    mutating func nextRelease() -> Release? {
        guard heldCount > 0, !isFull else {
            releasing = false
            return nil
        }
        let (token, event) = held[heldStart]
        heldStart += 1
        if heldStart == held.count {
            held.removeAll(keepingCapacity: true)
            heldStart = 0
        } else if heldStart >= 1_024 && heldStart * 2 >= held.count {
            held.removeFirst(heldStart)
            heldStart = 0
        }
        let remaining = heldCounts[token]! - 1
        heldCounts[token] = remaining == 0 ? nil : remaining
        return Release(token: token, event: event, resume: remaining == 0)
    }

    /// Drops every held event (the shard stopped serving: the connections are closed, nothing
    /// they sent was acknowledged) and returns the connections that were paused.
    mutating func dropHeld() -> [ConnectionToken] {
        let tokens = heldCounts.keys.sorted { $0.rawValue < $1.rawValue }
        held.removeAll()
        heldStart = 0
        heldCounts.removeAll()
        releasing = false
        return tokens
    }
}
