import IrisRouterEdge
import Synchronization

/// Which shard serves each MQTT connection, and the connection itself, for the shards' sends.
/// Striped by connection ID so that connections on different event loops rarely share a lock.
final class ConnectionTable: Sendable {
    struct Entry: Sendable {
        var shard: Int
        var connection: any MQTTConnection
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
}
