import IrisMQTT
import IrisRouterEdge
import Synchronization

/// Which shard serves each MQTT connection, and the connection itself, for the shards' sends.
/// Striped by connection ID so that connections on different event loops rarely share a lock.
final class ConnectionTable: Sendable {
    struct Entry: Sendable {
        var shard: Int
        var connection: any MQTTConnection
        /// Set when another node owns the session: packets go there.
        var relay: UpstreamRelay?
        /// Packets that came while the connection waits for its partition's owner (a leader
        /// being elected or catching up); nil once routed.
        var pending: [MQTTPacket]?
    }

    private final class Stripe: Sendable {
        let entries = Mutex<[UInt64: Entry]>([:])
    }

    private static let stripeCount = 64
    private let stripes: [Stripe] = (0..<ConnectionTable.stripeCount).map { _ in Stripe() }

    private func stripe(_ id: UInt64) -> Stripe { stripes[Int(id % UInt64(Self.stripeCount))] }

    func insert(_ entry: Entry, for id: UInt64) { stripe(id).entries.withLock { $0[id] = entry } }

    func entry(for id: UInt64) -> Entry? { stripe(id).entries.withLock { $0[id] } }

    @discardableResult
    func remove(_ id: UInt64) -> Entry? { stripe(id).entries.withLock { $0.removeValue(forKey: id) } }

    /// Changes an entry in place, under its stripe's lock; nil when the connection is gone.
    func update<Result>(_ id: UInt64, _ body: (inout Entry) -> Result) -> Result? {
        stripe(id).entries.withLock { entries in
            guard var entry = entries[id] else { return nil }
            defer { entries[id] = entry }
            return body(&entry)
        }
    }
}
