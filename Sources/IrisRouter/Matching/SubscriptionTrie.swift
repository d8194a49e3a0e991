/// The live subscriptions of the sessions a router owns, indexed by topic level for matching a
/// published topic (SPEC.md §16.1).
///
/// A value: copies are independent. Nodes sit in an arena and refer to each other by index, so
/// every operation is a loop, whatever the number of levels. Matching visits only the nodes on
/// paths that can match the topic (named, `+` and `#` children), never the non-matching filters.
/// Filters and topics are expected to be validated MQTT 3.1.1 filters and topic names; whatever
/// they hold, no input traps (a `#` that is not the last level is then an ordinary level).
public struct SubscriptionTrie<Subscriber: Hashable & Sendable>: Sendable {
    /// The arena; index 0 is the root. Freed slots are empty and listed in `freeNodes`.
    var nodes: [TrieNode<Subscriber>]
    /// Arena slots free for reuse.
    var freeNodes: [Int]
    /// Per subscriber, each of its filters (compared by bytes) and where that pair sits, for
    /// `remove` and `removeAll`.
    var placements: [Subscriber: [IndexedTopic: TriePlacement]]
    /// Number of (subscriber, filter) pairs.
    public private(set) var count: Int

    /// An empty trie.
    public init() {
        nodes = [TrieNode()]
        freeNodes = []
        placements = [:]
        count = 0
    }

    /// Nodes in use, the root included (1 for an empty trie).
    var nodeCount: Int { nodes.count - freeNodes.count }

    /// Adds the subscription of `subscriber` to `filter` with `qos`, or replaces the QoS of the one
    /// it has to that same filter.
    /// - Parameters:
    ///   - filter: a validated topic filter; levels are split on "/", empty levels are levels.
    ///   - subscriber: who receives the matching messages.
    ///   - qos: the granted QoS, 0...2.
    /// - Returns: true when it replaced an existing subscription.
    @discardableResult
    public mutating func insert(filter: String, subscriber: Subscriber, qos: UInt8) -> Bool {
        precondition(qos <= 2, "QoS \(qos) is not 0, 1 or 2")
        if let placement = placements[subscriber]?[IndexedTopic(text: filter)] {
            set(qos, for: subscriber, at: placement)
            return true
        }
        let placement = createPath(for: filter)
        set(qos, for: subscriber, at: placement)
        placements[subscriber, default: [:]][IndexedTopic(text: filter)] = placement
        count += 1
        return false
    }

    /// Removes the subscription of `subscriber` to `filter`; nodes left empty are freed, and the
    /// trie returns to its initial storage once the last subscription goes.
    /// - Returns: whether that subscription existed.
    @discardableResult
    public mutating func remove(filter: String, subscriber: Subscriber) -> Bool {
        guard let placement = placements[subscriber]?.removeValue(forKey: IndexedTopic(text: filter)) else { return false }
        if placements[subscriber]?.isEmpty == true {
            placements[subscriber] = nil
        }
        detach(subscriber, from: placement)
        return true
    }

    /// Removes every subscription of `subscriber`, at a cost proportional to its number of
    /// filters (each one's depth, for pruning), not to the size of the trie.
    public mutating func removeAll(subscriber: Subscriber) {
        guard let filters = placements.removeValue(forKey: subscriber) else { return }
        for placement in filters.values {
            detach(subscriber, from: placement)
        }
    }

    /// Records `qos` for `subscriber` at the node of `placement`.
    private mutating func set(_ qos: UInt8, for subscriber: Subscriber, at placement: TriePlacement) {
        if placement.isMultiLevel {
            nodes[placement.node].multiLevelSubscribers[subscriber] = qos
        } else {
            nodes[placement.node].subscribers[subscriber] = qos
        }
    }

    /// Walks `filter` from the root, creating missing nodes, and says where its subscribers go.
    private mutating func createPath(for filter: String) -> TriePlacement {
        let levels = TopicLevel.levels(of: filter)
        var node = 0
        for (index, level) in levels.enumerated() {
            if level.isMultiLevelWildcard && index == levels.count - 1 {
                return TriePlacement(node: node, isMultiLevel: true)
            }
            node = child(of: node, at: level)
        }
        return TriePlacement(node: node, isMultiLevel: false)
    }

    /// The child of `parent` for `level` (`+` or a name), created when missing.
    private mutating func child(of parent: Int, at level: TopicLevel) -> Int {
        if level.isSingleLevelWildcard {
            if let existing = nodes[parent].singleLevelChild { return existing }
            let created = allocate(TrieNode(parent: parent, levelInParent: nil))
            nodes[parent].singleLevelChild = created
            return created
        }
        if let existing = nodes[parent].namedChildren[level] { return existing }
        let key = TopicLevel.owned(level.text)
        let created = allocate(TrieNode(parent: parent, levelInParent: key))
        nodes[parent].namedChildren[key] = created
        return created
    }

    /// Puts `node` in a free slot of the arena (or a new one) and returns its index.
    private mutating func allocate(_ node: TrieNode<Subscriber>) -> Int {
        if let slot = freeNodes.popLast() {
            nodes[slot] = node
            return slot
        }
        nodes.append(node)
        return nodes.count - 1
    }

    /// Takes `subscriber` off the node of `placement`, then frees the nodes left empty upwards.
    private mutating func detach(_ subscriber: Subscriber, from placement: TriePlacement) {
        if placement.isMultiLevel {
            nodes[placement.node].multiLevelSubscribers[subscriber] = nil
        } else {
            nodes[placement.node].subscribers[subscriber] = nil
        }
        count -= 1
        if count == 0 {
            self = SubscriptionTrie()
            return
        }
        prune(from: placement.node)
    }

    /// Frees `start` and its ancestors while they are empty (the root stays).
    private mutating func prune(from start: Int) {
        var node = start
        while let parent = nodes[node].parent, nodes[node].isEmpty {
            if let level = nodes[node].levelInParent {
                nodes[parent].namedChildren[level] = nil
            } else {
                nodes[parent].singleLevelChild = nil
            }
            nodes[node] = TrieNode()
            freeNodes.append(node)
            node = parent
        }
    }
}
