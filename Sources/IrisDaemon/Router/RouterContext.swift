import IrisRouter
import Logging

/// What a router's shards share: the node they append to, the partitions' feeds, and the
/// table of connections. Nothing here is on one lock.
final class RouterContext: Sendable {
    let node: Node
    let feeds: [PartitionFeed]
    let connections = ConnectionTable()
    let logger: Logger

    init(node: Node, feeds: [PartitionFeed], logger: Logger) {
        self.node = node
        self.feeds = feeds
        self.logger = logger
    }
}
