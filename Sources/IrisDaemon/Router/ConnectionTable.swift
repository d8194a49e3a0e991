import IrisRouterEdge
import Synchronization

/// Which shard serves each MQTT connection, and the connection itself, for the shards' sends.
/// Striped by connection ID so that connections on different event loops rarely share a lock.
final class ConnectionTable: Sendable {
    struct Entry: Sendable {
        var shard: Int
        var connection: any MQTTConnection
    }

    private static let stripeCount = 64
    private let stripes: [Mutex<[UInt64: Entry]>]

    init() {
        stripes = (0..<Self.stripeCount).map { _ in Mutex([:]) }
    }

    private func stripe(_ id: UInt64) -> Mutex<[UInt64: Entry]> { stripes[Int(id % UInt64(Self.stripeCount))] }

    func insert(_ entry: Entry, for id: UInt64) { stripe(id).withLock { $0[id] = entry } }

    func entry(for id: UInt64) -> Entry? { stripe(id).withLock { $0[id] } }

    @discardableResult
    func remove(_ id: UInt64) -> Entry? { stripe(id).withLock { $0.removeValue(forKey: id) } }

    /// Every connection (shutdown).
    var all: [any MQTTConnection] { stripes.flatMap { stripe in stripe.withLock { $0.values.map(\.connection) } } }
}
