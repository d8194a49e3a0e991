import IrisMQTT

/// The retained messages of one new subscription still to send, read a page at a time in topic
/// order while the session's window has room (SPEC.md §16.5). Memory only: a stream ends with
/// its connection.
struct RetainedStream {
    /// Unique in the shard: an answer to a stream that ended is ignored.
    let id: UInt64
    let filter: TopicFilter
    /// The QoS granted: retained messages go out at min(their QoS, this).
    let qos: QoS
    /// The topic the next page starts after; nil before the first page.
    var after: String?
    /// A page is asked for and not yet answered.
    var reading = false
}
