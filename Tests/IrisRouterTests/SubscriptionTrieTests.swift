import Testing
@testable import IrisRouter

/// The matching rules of MQTT 3.1.1 §4.7 and §3.3.5 on hand-picked cases.
struct SubscriptionTrieTests {
    /// [MQTT-3.3.5-1]: a subscriber with several matching filters appears once, at the highest QoS.
    @Test func overlappingFiltersGiveTheHighestQoS() {
        var trie = SubscriptionTrie<String>()
        trie.insert(filter: "sport/#", subscriber: "s", qos: 0)
        trie.insert(filter: "sport/+/player1", subscriber: "s", qos: 2)
        trie.insert(filter: "sport/tennis/player1", subscriber: "s", qos: 1)
        trie.insert(filter: "sport/tennis/+", subscriber: "t", qos: 1)
        #expect(trie.matches(topic: "sport/tennis/player1") == ["s": 2, "t": 1])
        #expect(trie.matches(topic: "sport/tennis/player2") == ["s": 0, "t": 1])
        trie.remove(filter: "sport/+/player1", subscriber: "s")
        #expect(trie.matches(topic: "sport/tennis/player1") == ["s": 1, "t": 1])
    }

    /// [MQTT-4.7.2-1]: `#` and `+` as first level do not match `$` topics; `$SYS/#` does.
    @Test func dollarTopicsAreNotMatchedByLeadingWildcards() {
        var trie = SubscriptionTrie<String>()
        trie.insert(filter: "#", subscriber: "all", qos: 0)
        trie.insert(filter: "+/monitor/Clients", subscriber: "plus", qos: 0)
        trie.insert(filter: "$SYS/#", subscriber: "sys", qos: 1)
        trie.insert(filter: "$SYS/monitor/+", subscriber: "sysplus", qos: 2)
        #expect(trie.matches(topic: "$SYS/monitor/Clients") == ["sys": 1, "sysplus": 2])
        #expect(trie.matches(topic: "SYS/monitor/Clients") == ["all": 0, "plus": 0])
        #expect(trie.matches(topic: "a/$b") == ["all": 0])
    }

    /// §4.7.1.2: "sport/#" matches "sport" itself, and `+` matches an empty level.
    @Test func multiLevelWildcardMatchesItsParentAndEmptyLevelsAreLevels() {
        var trie = SubscriptionTrie<Int>()
        trie.insert(filter: "sport/#", subscriber: 1, qos: 1)
        trie.insert(filter: "+/+", subscriber: 2, qos: 1)
        trie.insert(filter: "/finance", subscriber: 3, qos: 1)
        #expect(trie.matches(topic: "sport") == [1: 1])
        #expect(trie.matches(topic: "sport/") == [1: 1, 2: 1])
        #expect(trie.matches(topic: "/finance") == [2: 1, 3: 1])
        #expect(trie.matches(topic: "finance").isEmpty)
    }

    /// Insert of the same (subscriber, filter) replaces its QoS and says so; count follows.
    @Test func insertReplacesTheSameSubscription() {
        var trie = SubscriptionTrie<Int>()
        #expect(trie.insert(filter: "a/b", subscriber: 1, qos: 2) == false)
        #expect(trie.insert(filter: "a/b", subscriber: 1, qos: 0) == true)
        #expect(trie.insert(filter: "a/b", subscriber: 2, qos: 1) == false)
        #expect(trie.count == 2)
        #expect(trie.matches(topic: "a/b") == [1: 0, 2: 1])
        #expect(trie.remove(filter: "a/b", subscriber: 1) == true)
        #expect(trie.remove(filter: "a/b", subscriber: 1) == false)
        #expect(trie.count == 1)
    }

    /// Levels compare byte for byte [MQTT-4.7.3-4]: no Unicode normalisation.
    @Test func levelsAreComparedWithoutNormalisation() {
        var trie = SubscriptionTrie<Int>()
        trie.insert(filter: "caf\u{E9}", subscriber: 1, qos: 1)
        #expect(trie.matches(topic: "cafe\u{301}").isEmpty)
        #expect(trie.matches(topic: "caf\u{E9}") == [1: 1])
        // The same subscriber's two spellings are two filters.
        #expect(trie.insert(filter: "cafe\u{301}", subscriber: 1, qos: 2) == false)
        #expect(trie.count == 2)
        #expect(trie.matches(topic: "cafe\u{301}") == [1: 2])
        let removed = trie.remove(filter: "caf\u{E9}", subscriber: 1)
        #expect(removed)
        #expect(trie.matches(topic: "cafe\u{301}") == [1: 2])
    }

    /// A filter of 100,000 levels is handled by loops: no recursion that could overflow a stack.
    @Test func deepFiltersDoNotRecurse() {
        let deep = String(repeating: "a/", count: 100_000) + "#"
        var trie = SubscriptionTrie<Int>()
        trie.insert(filter: deep, subscriber: 1, qos: 1)
        #expect(trie.matches(topic: String(repeating: "a/", count: 100_000) + "b") == [1: 1])
        #expect(trie.nodeCount == 100_001)
        trie.removeAll(subscriber: 1)
        #expect(trie.nodeCount == 1)
    }
}
