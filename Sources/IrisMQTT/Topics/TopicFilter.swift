/// A validated topic filter: what SUBSCRIBE and UNSUBSCRIBE name (MQTT 3.1.1 §4.7).
///
/// At least 1 and at most 65,535 UTF-8 bytes, no U+0000; '#' only as the whole last level,
/// '+' only as a whole level [MQTT-4.7.1-2/-3, 4.7.3-1..3]. Compared byte for byte.
public struct TopicFilter: Hashable, Sendable, CustomStringConvertible {
    /// The filter as subscribed.
    public let value: String

    /// Validates `value` as a topic filter.
    /// - Throws: `MQTTError.invalidTopicFilter` with the rule broken.
    public init(validating value: String) throws(MQTTError) {
        if let fault = Self.fault(in: value) { throw .invalidTopicFilter(value, fault) }
        self.value = value
    }

    /// The filter itself.
    public var description: String { value }

    /// Whether a message published to `topic` matches this filter (MQTT 3.1.1 §4.7): '+'
    /// matches any one level (an empty one included), '#' the parent level and any number of
    /// levels below it ("sport/#" matches "sport"), and a filter starting with a wildcard
    /// never matches a topic starting with '$' [MQTT-4.7.2-1].
    public func matches(_ topic: TopicName) -> Bool {
        Self.levelsMatch(filter: value, topic: topic.value)
    }

    /// Whether this filter, used as a deny-list entry, covers the subscription `filter`: this
    /// filter matches `filter` level by level with the '+' and '#' in `filter` taken as
    /// literal levels, the '$' rule included. So "a/#" covers "a/+", "a/#" and "a/b", but
    /// neither "#" nor "+/b"; "#" does not cover "$SYS/#".
    public func covers(_ filter: TopicFilter) -> Bool {
        Self.levelsMatch(filter: value, topic: filter.value)
    }

    private static func levelsMatch(filter: String, topic: String) -> Bool {
        if topic.utf8.first == TopicLevels.systemPrefix,
            let first = filter.utf8.first, first == TopicLevels.singleLevelWildcard || first == TopicLevels.multiLevelWildcard {
            return false
        }
        var filterLevels = TopicLevels(filter)
        var topicLevels = TopicLevels(topic)
        while let filterLevel = filterLevels.next() {
            if filterLevel.isOnly(TopicLevels.multiLevelWildcard) { return true }
            guard let topicLevel = topicLevels.next() else { return false }
            if !filterLevel.isOnly(TopicLevels.singleLevelWildcard) && !filterLevel.elementsEqual(topicLevel) { return false }
        }
        return topicLevels.next() == nil
    }

    private static func fault(in value: String) -> TopicFault? {
        let utf8 = value.utf8
        if utf8.isEmpty { return .empty }
        if utf8.count > TopicLevels.byteCountMax { return .tooLong(byteCount: utf8.count) }
        if utf8.contains(0) { return .nullCharacter }
        var levels = TopicLevels(value)
        while let level = levels.next() {
            if level.contains(TopicLevels.multiLevelWildcard) {
                // '#' must be the whole level, and that level the last one.
                if !level.isOnly(TopicLevels.multiLevelWildcard) || levels.next() != nil { return .multiLevelWildcardMisplaced }
            }
            if level.contains(TopicLevels.singleLevelWildcard) && !level.isOnly(TopicLevels.singleLevelWildcard) {
                return .singleLevelWildcardMisplaced
            }
        }
        return nil
    }
}
