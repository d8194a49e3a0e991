/// What opening a log found and did, for operators and tests.
public struct RecoveryReport: Sendable, Equatable {
    /// A torn tail: bytes from `position` of `segment` were unsynced remains of a crash.
    public struct TornTail: Sendable, Equatable {
        /// The segment file whose tail was torn.
        public var segment: String
        /// Byte position in `segment` where the valid frames end; everything after it was cut.
        public var position: Int
        /// Non-zero bytes between `position` and the end of the file that were discarded.
        public var discardedBytes: Int
    }

    /// The torn tail cut (or, read-only, ignored) at open, if any.
    public var tornTail: TornTail?
    /// Read-only opens only: the corruption that ends the served prefix.
    public var corruption: LogError?
    /// Segments whose index was missing or inconsistent and was rebuilt from the log.
    public var rebuiltIndexes: [String] = []
    /// Bytes read and checked frame by frame during the open.
    public var scannedBytes = 0
    /// Whether a valid checkpoint was found.
    public var checkpointFound = false
}
