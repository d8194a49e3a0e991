import IrisLog
import IrisMQTT

/// A connection as the shard knows it: a number the edge chose, unique in the process.
public struct ConnectionToken: Hashable, Sendable, CustomStringConvertible {
    /// The edge's number for the connection.
    public let rawValue: UInt64
    /// The token for the edge's connection number.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    /// "connection N".
    public var description: String { "connection \(rawValue)" }
}

/// A connection that ended; `graceful` when the client sent DISCONNECT.
public struct ConnectionClose: Sendable, Equatable {
    /// The connection.
    public var token: ConnectionToken
    /// The client sent DISCONNECT: its will is discarded.
    public var graceful: Bool

    /// A close; see the properties.
    public init(_ token: ConnectionToken, graceful: Bool) {
        self.token = token
        self.graceful = graceful
    }
}

/// A stored message read back from a partition, for delivery.
public struct StoredMessage: Sendable, Equatable {
    /// Where it is stored.
    public var reference: MessageReference
    /// When the partition's leader stored it: the order of messages across partitions.
    public var timestampMicroseconds: Int64
    /// The message.
    public var message: MessageRecord

    /// A stored message; see the properties.
    public init(reference: MessageReference, timestampMicroseconds: Int64, message: MessageRecord) {
        self.reference = reference
        self.timestampMicroseconds = timestampMicroseconds
        self.message = message
    }
}

/// One partition's part of a catch-up read: what the session asked for.
public struct CatchUpRange: Sendable, Equatable {
    /// The partition to read.
    public var partition: Int
    /// The first offset to read.
    public var from: UInt64
    /// The offset to stop before.
    public var to: UInt64

    /// A range; see the properties.
    public init(partition: Int, from: UInt64, to: UInt64) {
        self.partition = partition
        self.from = from
        self.to = to
    }
}

/// One partition's answer to a catch-up read: matching messages from the range's `from`, and
/// where the next read starts (`complete` when it reached the range's `to`).
public struct CatchUpPage: Sendable, Equatable {
    /// The partition read.
    public var partition: Int
    /// Matching messages, in offset order.
    public var messages: [StoredMessage]
    /// Where the next read of this partition starts.
    public var next: UInt64
    /// The read reached the range's end.
    public var complete: Bool

    /// A page; see the properties.
    public init(partition: Int, messages: [StoredMessage], next: UInt64, complete: Bool) {
        self.partition = partition
        self.messages = messages
        self.next = next
        self.complete = complete
    }
}

/// A page of retained messages for a new subscription (SPEC.md §16.5).
public struct RetainedPage: Sendable, Equatable {
    /// The retained message of each topic of the page that has one, in byte order of topics.
    public var messages: [StoredMessage]
    /// The topic the next page starts after; nil when the filter has no more.
    public var next: String?

    /// A page; see the properties.
    public init(messages: [StoredMessage], next: String?) {
        self.messages = messages
        self.next = next
    }
}

/// What a shard's core is told, one event at a time, in order.
public enum ShardEvent: Sendable {
    /// A CONNECT for a client ID placed in this shard; `epoch` is a fresh random number the shell drew.
    case connect(ConnectionToken, clientID: String, Connect, epoch: UInt64)
    /// A later packet of that connection (never CONNECT, PINGREQ or DISCONNECT).
    case packet(ConnectionToken, MQTTPacket)
    /// The connection ended; `graceful` when the client sent DISCONNECT.
    case closed(ConnectionToken, graceful: Bool)
    /// Connections that ended, in order, handled as one: their wills and closed records go out
    /// in one append.
    case closedMany([ConnectionClose])
    /// Committed records of `partition` from `start` (inclusive) to `end` (exclusive), in order,
    /// already decoded (records that are not the router's are left out).
    case committed(partition: Int, start: UInt64, end: UInt64, records: [(offset: UInt64, timestampMicroseconds: Int64, clientID: String, record: RouterRecord)])
    /// Matching messages for a session catching up: one page per range of the `catchUp` action.
    case caughtUp(clientID: String, epoch: UInt64, pages: [CatchUpPage])
    /// Messages read back by reference (a `fetch` action).
    case fetched(clientID: String, epoch: UInt64, messages: [StoredMessage])
    /// The page a `fetchRetained` action of retained stream `stream` asked for.
    case retained(clientID: String, epoch: UInt64, stream: UInt64, page: RetainedPage)
    /// An append of this shard failed: the partition refused or lost it.
    case appendFailed(connections: [ConnectionToken], reason: String)
    /// The shard's own partition has been read to its end at start: sessions that were connected
    /// when the node stopped are closed now (their wills published).
    case recovered
    /// About a second passed: delivery progress is written.
    case tick
    /// The shard's partition has another leader now: every connection is closed, and the shard
    /// follows the log again (as while replaying) until it leads and is told `recovered`.
    case resigned
}

/// What a shard's core asks its shell to do, in order.
public enum ShardAction: Sendable, Equatable {
    /// Write packets to a connection.
    case send(ConnectionToken, [MQTTPacket])
    /// Close a connection (after what was sent).
    case close(ConnectionToken, reason: String)
    /// Append records to the shard's partition, in order with earlier appends; `connections` are
    /// closed if it fails.
    case append([Record], connections: [ConnectionToken])
    /// Read, for each range, the messages of its partition in `from..<to` whose topic matches one
    /// of `filters`, at most `limit` per range; answer with `caughtUp`.
    case catchUp(clientID: String, epoch: UInt64, ranges: [CatchUpRange], filters: [TopicFilter], limit: Int)
    /// Read these messages back; answer with `fetched`.
    case fetch(clientID: String, epoch: UInt64, references: [MessageReference])
    /// Read the next page of retained messages whose topics `filter` matches: in byte order of
    /// topics, after the topic `after` (from the first when nil), at most `limit` topics from each
    /// partition's table, once `connection` can take more bytes; answer with `retained`.
    case fetchRetained(
        clientID: String, epoch: UInt64, connection: ConnectionToken, stream: UInt64, filter: TopicFilter, after: String?, limit: Int)
}
