/// One level of a `SubscriptionTrie`: the filters that end here and the children one level down.
///
/// Nodes live in the trie's arena and point at each other by index, so that insert, remove and
/// match are loops rather than recursion: a filter may have tens of thousands of levels, and a
/// recursion that deep would overflow a thread's stack.
struct TrieNode<Subscriber: Hashable & Sendable>: Sendable {
    /// Children reached by a named level. Keys are copies of the level (not slices of the
    /// filter), so a node does not keep a whole filter string alive.
    var namedChildren: [TopicLevel: Int] = [:]
    /// The child reached by a `+` level.
    var singleLevelChild: Int?
    /// Subscribers whose filter ends at this node, with the QoS of that filter.
    var subscribers: [Subscriber: UInt8] = [:]
    /// Subscribers whose filter is this node's path followed by `#`, with the QoS of that filter.
    var multiLevelSubscribers: [Subscriber: UInt8] = [:]
    /// The node one level up; nil for the root.
    var parent: Int?
    /// How the parent reaches this node: a named level, or nil for the `+` child (and the root).
    var levelInParent: TopicLevel?

    /// True when nothing hangs from this node, so it can be pruned.
    var isEmpty: Bool {
        namedChildren.isEmpty && singleLevelChild == nil && subscribers.isEmpty && multiLevelSubscribers.isEmpty
    }
}
