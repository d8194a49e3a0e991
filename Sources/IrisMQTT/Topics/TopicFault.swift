/// Why a string is not a valid topic name or topic filter (MQTT 3.1.1 §4.7).
public enum TopicFault: Sendable, Equatable, CustomStringConvertible {
    /// Zero bytes long [MQTT-4.7.3-1].
    case empty
    /// Longer than 65,535 UTF-8 bytes [MQTT-4.7.3-3].
    case tooLong(byteCount: Int)
    /// Contains U+0000 [MQTT-4.7.3-2].
    case nullCharacter
    /// A topic name (what PUBLISH and a will name) contains '+' or '#' [MQTT-3.3.2-2].
    case wildcardInName
    /// A filter has '#' other than as the whole last level [MQTT-4.7.1-2].
    case multiLevelWildcardMisplaced
    /// A filter has '+' sharing its level with other characters [MQTT-4.7.1-3].
    case singleLevelWildcardMisplaced

    /// What is wrong, as a phrase for a log line.
    public var description: String {
        switch self {
        case .empty: return "is empty"
        case .tooLong(let byteCount): return "is \(byteCount) UTF-8 bytes, above the 65,535-byte limit"
        case .nullCharacter: return "contains U+0000"
        case .wildcardInName: return "contains a wildcard ('+' or '#'), which only topic filters may"
        case .multiLevelWildcardMisplaced: return "has '#' other than as the whole last level"
        case .singleLevelWildcardMisplaced: return "has '+' sharing a level with other characters"
        }
    }
}
