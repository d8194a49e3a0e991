/// When an append is acknowledged; SPEC.md §7.
public enum Durability: Sendable, Equatable {
    /// Acknowledged only after the fdatasync that covers it completed (the default).
    case fsync
    /// Acknowledged once written to the operating system, before it is synced. The log
    /// still starts a sync in the background every `writeGroupBytesMax` bytes (never more
    /// than the unsynced window is written and unsynced), and syncs at segment roll and at
    /// close, but an operating-system crash or power loss can lose acknowledged records
    /// written since the last completed sync. A crash of the process alone loses nothing
    /// acknowledged. `Log.sync()` makes everything appended before it durable.
    case none
}

/// Which I/O layer the log writes through.
public enum IOBackend: Sendable {
    /// io_uring for the fdatasyncs (one fsync SQE each on the I/O engine's shared ring, the
    /// syncs of many logs submitted together, while the writer writes the next group with
    /// pwrite; SPEC.md §7). Falls back to `.posix`, with a warning in the log, where io_uring
    /// cannot be set up. Slower than `.posix` for one log's syncs (ext4 runs each fsync SQE on
    /// a kernel worker thread: one more hand-off per sync).
    case uring
    /// pwrite + fdatasync (the default).
    case posix
    /// The in-memory disk of tests and simulations.
    case simulated(SimulatedDisk)
}

/// A log's settings. The defaults suit a server log of small-to-medium records; every limit
/// is checked by `validate()` when the log opens.
public struct LogConfiguration: Sendable {
    /// Segment file size; a segment is rolled when the next frame would not fit. Default 64 MiB.
    public var segmentSizeBytes = 64 << 20
    /// Largest encoded record, key and headers included. Default 1 MiB.
    public var recordBytesMax = 1 << 20
    /// Largest batch passed to one `append(contentsOf:)`, encoded. Default 4 MiB.
    public var batchBytesMax = 4 << 20
    /// Bytes of frames that may wait for durability at once; producers beyond it wait.
    /// Default 16 MiB.
    public var appendQueueBytesMax = 16 << 20
    /// Largest group the writer sends to the disk with one sync. Default 1 MiB (a single
    /// larger frame is written alone).
    public var writeGroupBytesMax = 1 << 20
    /// Bytes of log between sparse index entries. Default 4 KiB.
    public var indexIntervalBytes = 4096
    /// Bytes written between checkpoint updates (besides every roll and close). Default 16 MiB.
    public var checkpointIntervalBytes = 16 << 20
    /// When an append is acknowledged. Default `.fsync`: after the fdatasync covering it.
    public var durability = Durability.fsync
    /// The I/O layer. Default `.posix`: measured faster than `.uring` at every producer count
    /// for one log's syncs (SPEC.md §7). `Log.ioBackendName` says which is in use.
    public var ioBackend = IOBackend.posix
    /// Compression of new batches. Default `.none`.
    public var compression = Codec.none
    /// zstd level for `.zstd`. Default 3.
    public var compressionLevel: Int32 = 3
    /// Batches smaller than this stay uncompressed. Default 512 bytes.
    public var compressionThresholdBytes = 512
    /// Open without writing: no lock, no repair; serves the valid prefix of a damaged log.
    public var readOnly = false
    /// Retention: delete the oldest sealed segments while the log is larger than this. nil: keep.
    public var retentionBytesMax: Int? = nil
    /// Retention: delete sealed segments whose newest record is older than this many
    /// microseconds. nil: keep.
    public var retentionAgeMicrosecondsMax: Int64? = nil

    /// Zeroes written ahead of the data in the active segment (SPEC.md §2.1): most groups then
    /// overwrite blocks already written, and their fdatasync commits no conversion of
    /// preallocated (unwritten) extents. 0 turns it off, for file systems where writing the
    /// zeroes costs more than it saves. At most 1 GiB; a lead longer than the segment zeroes it
    /// whole with its first group. Default 1 MiB.
    public var zeroAheadBytes = 1 << 20

    /// The defaults listed on each property; change fields after creating it.
    public init() {}

    /// Largest frame the log writes or accepts when reading.
    var frameBytesMax: Int { FrameHeader.padded(FrameHeader.size + batchBytesMax + 64) }

    /// Bytes that can be written and not yet synced at a crash; recovery's torn-tail window.
    package var unsyncedWindowBytes: Int { 2 * max(writeGroupBytesMax, frameBytesMax) }

    /// Checks every limit and the relations between them.
    public func validate() throws(LogError) {
        func require(_ condition: Bool, _ message: String) throws(LogError) {
            if !condition { throw .invalidConfiguration(message) }
        }
        try require(segmentSizeBytes >= 64 << 10 && segmentSizeBytes <= 1 << 30, "segmentSizeBytes must be between 64 KiB and 1 GiB")
        try require(recordBytesMax >= 1, "recordBytesMax must be at least 1")
        try require(batchBytesMax >= recordBytesMax, "batchBytesMax must be at least recordBytesMax")
        try require(frameBytesMax <= segmentSizeBytes, "batchBytesMax must leave a frame that fits in one segment")
        try require(appendQueueBytesMax >= frameBytesMax, "appendQueueBytesMax must hold at least one largest frame")
        try require(writeGroupBytesMax >= 4096, "writeGroupBytesMax must be at least 4 KiB")
        try require(indexIntervalBytes >= 64, "indexIntervalBytes must be at least 64")
        try require(checkpointIntervalBytes >= writeGroupBytesMax, "checkpointIntervalBytes must be at least writeGroupBytesMax")
        try require(unsyncedWindowBytes < Int(UInt32.max), "write limits too large")
        try require(zeroAheadBytes >= 0 && zeroAheadBytes <= 1 << 30, "zeroAheadBytes must be between 0 and 1 GiB")
        try require((1...22).contains(compressionLevel), "compressionLevel must be 1...22")
        try require(compressionThresholdBytes >= 0, "compressionThresholdBytes must not be negative")
        try require(retentionBytesMax.map { $0 > 0 } ?? true, "retentionBytesMax must be positive")
        try require(retentionAgeMicrosecondsMax.map { $0 > 0 } ?? true, "retentionAgeMicrosecondsMax must be positive")
    }
}
