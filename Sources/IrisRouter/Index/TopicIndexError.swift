/// Why `TopicIndex(deserializing:)` refused its input; SPEC.md §16.1.
public enum TopicIndexError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input does not start with the magic "ITIX".
    case notATopicIndex
    /// The layout version is not one this build reads.
    case unsupportedVersion(UInt8)
    /// The input ends inside the field that starts at `position`.
    case truncated(position: Int)
    /// The field at `position` breaks the layout; `detail` says how.
    case malformed(position: Int, detail: String)

    /// What is wrong and what to do next.
    public var description: String {
        let next = "the index checkpoint cannot be used: rebuild the index by reading the partition's log"
        return switch self {
        case .notATopicIndex:
            "topic index checkpoint does not start with \"ITIX\"; \(next)"
        case .unsupportedVersion(let version):
            "topic index checkpoint has layout version \(version), this build reads version \(TopicIndex.serializedVersion); \(next)"
        case .truncated(let position):
            "topic index checkpoint ends inside the field at byte \(position); \(next)"
        case .malformed(let position, let detail):
            "topic index checkpoint is malformed at byte \(position) (\(detail)); \(next)"
        }
    }
}
