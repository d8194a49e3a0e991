/// Every error the log reports. Descriptions say what happened, where, and what to do.
public enum LogError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A frame inside data that was synced fails its checks.
    case corruptFrame(segment: String, position: Int, reason: String)
    /// The set of files is inconsistent (a gap between segments, a missing segment).
    case corruptLog(directory: String, reason: String)
    /// An operating-system call failed. After a write or sync failure the log is failed.
    case io(operation: String, path: String, errno: Int32, message: String)
    /// The disk is full; the log is now read-only. Free space and reopen.
    case noSpace(path: String)
    /// An earlier write or sync failed; the log accepts no more appends. Reopen it.
    case failed(cause: String)
    /// The log was closed.
    case closed
    /// The log was opened read-only.
    case readOnly
    /// Another process (or another Log in this one) has the directory open for writing.
    case locked(directory: String)
    /// A record or batch is larger than the configured limit.
    case recordTooLarge(bytes: Int, max: Int)
    /// An empty batch was passed.
    case emptyBatch
    /// The offset is not in the log.
    case offsetOutOfRange(requested: Offset, first: Offset, next: Offset)
    /// `truncate(after:)` must cut between frames; this offset lies inside a frame.
    case truncationInsideBatch(offset: Offset, batchFirst: Offset, batchLast: Offset)
    /// `LogConfiguration.validate()` refused a limit; the message names it and its bound.
    case invalidConfiguration(String)
    /// Bytes given as a sealed frame fail the frame checks.
    case invalidFrame(reason: String)
    /// `append(frames:)`: the frame does not start where the log ends.
    case frameOutOfSequence(expected: Offset, got: Offset)
    /// `append(frames:)`: the frame is not chained to the log's last frame (its previous CRC
    /// differs), so the two logs differ before this point; nil expected when the log's last
    /// frame is still being sealed by an ordinary append.
    case frameChainMismatch(offset: Offset, expectedPreviousCRC: UInt32?, previousCRC: UInt32)

    /// One line saying what failed, where (segment and byte position, path or directory) and
    /// what to do next; `iris-log` prints it as is.
    public var description: String {
        switch self {
        case .corruptFrame(let segment, let position, let reason):
            "corrupt frame in \(segment) at byte \(position): \(reason); run `iris-log verify DIR`"
        case .corruptLog(let directory, let reason):
            "log \(directory) is inconsistent: \(reason); run `iris-log verify \(directory)`"
        case .io(let operation, let path, let errno, let message):
            "\(operation) \(path) failed: \(message) (errno \(errno))"
        case .noSpace(let path):
            "no space left on device writing \(path); the log is read-only until space is freed and it is reopened"
        case .failed(let cause):
            "the log stopped writing after an I/O failure (\(cause)); reopen it to recover"
        case .closed: "the log is closed"
        case .readOnly: "the log was opened read-only"
        case .locked(let directory): "\(directory) is open for writing by another process or Log instance"
        case .recordTooLarge(let bytes, let max): "record or batch of \(bytes) bytes exceeds the limit of \(max) bytes"
        case .emptyBatch: "append(contentsOf:) needs at least one record"
        case .offsetOutOfRange(let requested, let first, let next):
            "offset \(requested) is outside the log, which holds [\(first), \(next))"
        case .truncationInsideBatch(let offset, let first, let last):
            "cannot truncate after \(offset): it lies inside the batch \(first)...\(last); truncate after \(last) or before \(first)"
        case .invalidConfiguration(let message): "invalid configuration: \(message)"
        case .invalidFrame(let reason): "invalid frame: \(reason)"
        case .frameOutOfSequence(let expected, let got):
            "frame starts at offset \(got) but the log continues at \(expected); send the frames that follow the log's end"
        case .frameChainMismatch(let offset, let expected, let previous):
            if let expected {
                "frame at offset \(offset) chains to CRC \(previous) but the log's last frame has CRC \(expected): the logs differ before \(offset); truncate the divergent suffix first"
            } else {
                "frame at offset \(offset) cannot be chained: the log's last frame is still being written by an ordinary append"
            }
        }
    }

    /// What opening a log reports for an error of recovery: a `LogError` as it is, a storage
    /// error as `.io` or `.noSpace`.
    init(opening error: any Error) {
        switch error {
        case let error as LogError: self = error
        case let error as StorageError: self.init(error)
        default: preconditionFailure("recovery throws LogError or StorageError, not \(error)")
        }
    }

    init(_ error: StorageError) {
        if error.errno == 28 { self = .noSpace(path: error.path); return }
        self = .io(operation: error.operation, path: error.path, errno: error.errno, message: StorageError.describe(error.errno))
    }
}
