import IrisMQTT
import Testing

/// Topic names and filters (MQTT 3.1.1 §4.7): validation, matching with the '$' rule, and the
/// deny-list `covers` relation.
struct TopicTests {
    @Test(arguments: ["a", "/", "a/b", "a//b", "/finance", " ", "$SYS/broker/load", "é/中/😀", String(repeating: "x", count: 65_535)])
    func validTopicNames(_ value: String) throws {
        let topic = try TopicName(validating: value)
        #expect(topic.value == value && topic.description == value)
        #expect(topic.isSystem == value.hasPrefix("$"))
    }

    @Test(arguments: [
        ("", TopicFault.empty), ("a/+", .wildcardInName), ("#", .wildcardInName), ("a+b", .wildcardInName), ("a\u{0}b", .nullCharacter),
        (String(repeating: "x", count: 65_536), .tooLong(byteCount: 65_536)), (String(repeating: "é", count: 32_768), .tooLong(byteCount: 65_536)),
    ])
    func invalidTopicNames(_ value: String, fault: TopicFault) {
        #expect(throws: MQTTError.invalidTopicName(value, fault)) { try TopicName(validating: value) }
    }

    @Test(arguments: ["#", "+", "a/#", "+/+", "/+", "a/+/b", "$SYS/#", "+/#", "//", "a//#", "+/+/+/#", "é/+"])
    func validTopicFilters(_ value: String) throws {
        #expect(try TopicFilter(validating: value).value == value)
    }

    @Test(arguments: [
        ("", TopicFault.empty), ("a#", .multiLevelWildcardMisplaced), ("a/#/b", .multiLevelWildcardMisplaced), ("#/a", .multiLevelWildcardMisplaced),
        ("a/b#", .multiLevelWildcardMisplaced), ("##", .multiLevelWildcardMisplaced), ("a+", .singleLevelWildcardMisplaced),
        ("+a/b", .singleLevelWildcardMisplaced), ("a/++/b", .singleLevelWildcardMisplaced), ("a\u{0}", .nullCharacter),
        (String(repeating: "x", count: 65_536), .tooLong(byteCount: 65_536)),
    ])
    func invalidTopicFilters(_ value: String, fault: TopicFault) {
        #expect(throws: MQTTError.invalidTopicFilter(value, fault)) { try TopicFilter(validating: value) }
    }

    /// (filter, topic, matches): the specification's examples (§4.7.1, §4.7.2), the Paho
    /// interoperability suite's topics, and the edges of empty levels and '$'.
    static let matchTable: [(String, String, Bool)] = [
        ("sport/tennis/player1/#", "sport/tennis/player1", true),
        ("sport/tennis/player1/#", "sport/tennis/player1/ranking", true),
        ("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true),
        ("sport/#", "sport", true),
        ("#", "sport/tennis", true),
        ("#", "/", true),
        ("sport/tennis/+", "sport/tennis/player1", true),
        ("sport/tennis/+", "sport/tennis/player1/ranking", false),
        ("sport/+", "sport", false),
        ("sport/+", "sport/", true),
        ("+/+", "/finance", true),
        ("/+", "/finance", true),
        ("+", "/finance", false),
        ("+", "finance", true),
        ("+/+/+", "a/b", false),
        ("a/+/b", "a//b", true),
        ("a/b", "a/b", true),
        ("a/b", "a/B", false),
        ("a/b", "a/b/", false),
        ("a/b/", "a/b", false),
        ("a/#", "a", true),
        ("a/#", "ab", false),
        ("a/b/#", "a/bc", false),
        ("/#", "/TopicA", true),
        ("/#", "TopicA", false),
        ("TopicA/+", "TopicA/B", true),
        ("+/C", "Topic/C", true),
        ("TopicA/#", "TopicA/C", true),
        ("#", "$SYS/x", false),
        ("+/x", "$SYS/x", false),
        ("+/+", "$TopicA/B", false),
        ("+/monitor/Clients", "$SYS/monitor/Clients", false),
        ("+", "$", false),
        ("$SYS/#", "$SYS/x", true),
        ("$SYS/#", "$SYS", true),
        ("$SYS/monitor/+", "$SYS/monitor/Clients", true),
        ("$TopicA/+", "$TopicA/B", true),
        ("a/$SYS", "a/$SYS", true),
        ("a/+", "a/$SYS", true),
        ("é/+", "é/中", true),
        ("caf\u{E9}", "cafe\u{301}", false),
    ]

    @Test(arguments: matchTable)
    func filterMatchesTopic(filterValue: String, topicValue: String, expected: Bool) {
        #expect(filter(filterValue).matches(name(topicValue)) == expected)
    }

    /// (deny entry, subscription filter, covers): wildcards in the subscription are literal levels.
    static let coverTable: [(String, String, Bool)] = [
        ("a/#", "a/+", true),
        ("a/#", "a/#", true),
        ("a/#", "a/b", true),
        ("a/#", "a", true),
        ("a/#", "#", false),
        ("a/#", "+/b", false),
        ("a/#", "b/#", false),
        ("test/nosubscribe", "test/nosubscribe", true),
        ("test/nosubscribe", "test/#", false),
        ("test/nosubscribe", "test/+", false),
        ("test/+", "test/nosubscribe", true),
        ("test/+", "test/+", true),
        ("test/+", "test/#", true),
        ("test/+", "test/a/b", false),
        ("#", "#", true),
        ("#", "+/b", true),
        ("#", "$SYS/#", false),
        ("$SYS/#", "$SYS/#", true),
        ("$SYS/#", "$SYS/+", true),
        ("+", "+", true),
        ("+", "a/+", false),
    ]

    @Test(arguments: coverTable)
    func denyEntryCoversFilter(denyValue: String, filterValue: String, expected: Bool) {
        #expect(filter(denyValue).covers(filter(filterValue)) == expected)
    }

    /// Topics compare byte for byte, never normalised [MQTT-4.7.3-4]: "é" and "e" + U+0301
    /// are different topics and different dictionary keys (Swift's `String ==` would merge them).
    @Test func topicsAreComparedByteForByte() {
        let composed = name("caf\u{E9}")
        let decomposed = name("cafe\u{301}")
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed]).count == 2)
        #expect(filter("caf\u{E9}") != filter("cafe\u{301}"))
        #expect(Set([filter("a/+"), filter("a/+"), filter("a/#")]).count == 2)
        #expect(name("a/b") == name("a/b") && name("a/b").hashValue == name("a/b").hashValue)
    }

    @Test func qosIsOrdered() {
        #expect(QoS.atMostOnce < .atLeastOnce && QoS.atLeastOnce < .exactlyOnce)
        #expect(min(QoS.exactlyOnce, .atLeastOnce) == .atLeastOnce)
        #expect([QoS.atLeastOnce, .exactlyOnce, .atMostOnce].max() == .exactlyOnce)
    }
}
