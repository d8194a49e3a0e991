/// Why a router checkpoint could not be used (SPEC.md §16.8). None is fatal: the router then
/// rebuilds the partition's state by reading its log from the start.
public enum RouterCheckpointError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file does not start with the magic "IRRC".
    case notACheckpoint
    /// The layout version is not one this build reads.
    case unsupportedVersion(UInt8)
    /// The CRC32C at the end does not match the bytes before it.
    case checksumMismatch
    /// The checkpoint is of another partition, or of a cluster with another partition count.
    case wrongPartition(expected: Int, expectedCount: Int, found: Int, foundCount: Int)
    /// The input ends inside the field that starts at `position`.
    case truncated(position: Int)
    /// The field at `position` breaks the layout; `detail` says how.
    case malformed(position: Int, detail: String)
    /// The log no longer holds the records the checkpoint covers (shorter, or another record at
    /// the checkpoint's last offset).
    case logMismatch(String)
    /// It could not be checked against the log (no replica answered in time); `detail` says why.
    case notChecked(String)
    /// The topic index inside it was refused.
    case index(TopicIndexError)

    /// What is wrong; the router rebuilds from the log either way.
    public var description: String {
        let next = "the router rebuilds this partition's state by reading its log from the start"
        return switch self {
        case .notACheckpoint: "router checkpoint does not start with \"IRRC\"; \(next)"
        case .unsupportedVersion(let version):
            "router checkpoint has layout version \(version), this build reads version \(RouterCheckpoint.version); \(next)"
        case .checksumMismatch: "router checkpoint fails its CRC32C (torn or damaged); \(next)"
        case .wrongPartition(let expected, let expectedCount, let found, let foundCount):
            "router checkpoint is of partition \(found) of \(foundCount), expected \(expected) of \(expectedCount); \(next)"
        case .truncated(let position): "router checkpoint ends inside the field at byte \(position); \(next)"
        case .malformed(let position, let detail): "router checkpoint is malformed at byte \(position) (\(detail)); \(next)"
        case .logMismatch(let detail): "router checkpoint does not match the log (\(detail)); \(next)"
        case .notChecked(let detail): "router checkpoint could not be checked against the log (\(detail)); \(next)"
        case .index(let error): "\(error)"
        }
    }
}
