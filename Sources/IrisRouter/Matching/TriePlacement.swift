/// Where one (subscriber, filter) pair sits in a `SubscriptionTrie`: the node of the filter's
/// last non-`#` level, and whether the filter ended with `#`. Kept per subscriber so that
/// `remove` and `removeAll` reach the pair without walking the filter again.
struct TriePlacement: Sendable, Hashable {
    /// Index of the node in the trie's arena.
    var node: Int
    /// True when the filter's last level is `#` (the pair is in `multiLevelSubscribers`).
    var isMultiLevel: Bool
}
