/// A validated topic name: what a PUBLISH or a will is published to (MQTT 3.1.1 §4.7).
///
/// At least 1 and at most 65,535 UTF-8 bytes, no wildcard ('+' or '#'), no U+0000
/// [MQTT-4.7.3-1..3, 3.3.2-2]. Compared byte for byte, never normalised [MQTT-4.7.3-4].
public struct TopicName: Hashable, Sendable, CustomStringConvertible {
    /// The topic as published.
    public let value: String

    /// Validates `value` as a topic name.
    /// - Throws: `MQTTError.invalidTopicName` with the rule broken.
    public init(validating value: String) throws(MQTTError) {
        if let fault = Self.fault(in: value) { throw .invalidTopicName(value, fault) }
        self.value = value
    }

    /// Whether the topic starts with '$' (`$SYS/...`): filters starting with a wildcard do not
    /// match it [MQTT-4.7.2-1], and clients should not publish to it.
    public var isSystem: Bool { value.utf8.first == UInt8(ascii: "$") }

    /// The topic itself.
    public var description: String { value }

    private static func fault(in value: String) -> TopicFault? {
        let utf8 = value.utf8
        if utf8.isEmpty { return .empty }
        if utf8.count > TopicLevels.byteCountMax { return .tooLong(byteCount: utf8.count) }
        // Scanning contiguous storage is several times faster than iterating `String.UTF8View`;
        // this runs for every PUBLISH received.
        if let fault = utf8.withContiguousStorageIfAvailable({ firstFault(in: $0) }) { return fault }
        return firstFault(in: utf8)
    }

    private static func firstFault(in bytes: some Sequence<UInt8>) -> TopicFault? {
        for byte in bytes {
            switch byte {
            case 0: return .nullCharacter
            case TopicLevels.singleLevelWildcard, TopicLevels.multiLevelWildcard: return .wildcardInName
            default: continue
            }
        }
        return nil
    }
}
