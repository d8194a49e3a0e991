import IrisLog
import IrisNode
import IrisRouter
import Logging
import Synchronization

/// The router checkpoint of one partition on this node (SPEC.md §16.8):
/// `DATA/partitions/K/router-checkpoint` for a partition it hosts,
/// `DATA/remote-feeds/K/router-checkpoint` for one it follows on other nodes. Loaded once at start
/// and checked against the partition's log, written again in the background after enough of the
/// partition has been read.
final class RouterCheckpointFile: Sendable {
    /// Read this many records or bytes since the last checkpoint, or for this long, and a new one
    /// is due. A restart reads at most about `records` records per partition past its checkpoint
    /// (replay costs per record; measured ~100k records/s on this machine).
    struct Policy: Sendable {
        var records = 16_384
        var bytes = 64 << 20
        var interval = Duration.seconds(30)
    }

    /// The directory holding the file; created (with its parents) by the first write.
    let directory: String
    let path: String
    private let partition: Int
    private let partitionCount: Int
    private let policy: Policy
    private let storage: any Storage
    private let logger: Logger
    /// Since the last checkpoint: records and bytes read, and when it was taken (or the file opened).
    private let progress: Mutex<(records: Int, bytes: Int, since: ContinuousClock.Instant)>
    /// One write at a time: a due checkpoint is skipped while the previous one is written.
    private let writing = Atomic<Bool>(false)
    /// Checkpoints written: for tests and the log.
    private let writtenCount = Atomic<Int>(0)

    /// The checkpoint of `partition` kept in `directory`.
    init(directory: String, partition: Int, partitionCount: Int, policy: Policy = Policy(), logger: Logger) {
        self.directory = directory
        self.path = directory + "/router-checkpoint"
        self.partition = partition
        self.partitionCount = partitionCount
        self.policy = policy
        self.storage = PosixStorage()
        self.logger = logger
        self.progress = Mutex((0, 0, .now))
    }

    /// Checkpoints written since start.
    var written: Int { writtenCount.load(ordering: .relaxed) }

    /// The checkpoint, if there is one and `check` accepts it (it checks that the partition's log
    /// still holds what it covers); nil (with a log line saying why) otherwise: the partition is
    /// then read from offset 0.
    func load(checkedBy check: (RouterCheckpoint) async throws(RouterCheckpointError) -> Void) async -> RouterCheckpoint? {
        guard storage.fileExists(path) else { return nil }
        do throws(RouterCheckpointError) {
            let bytes: [UInt8]
            do throws(StorageError) {
                guard let file = try storage.openExisting(path) else { return nil }
                bytes = try file.read(count: try file.size(), at: 0)
            } catch {
                throw .logMismatch("cannot read \(path): \(error)")
            }
            let checkpoint = try RouterCheckpoint(deserializing: bytes, partition: partition, partitionCount: partitionCount)
            try await check(checkpoint)
            return checkpoint
        } catch {
            logger.error("mqtt: partition \(partition): \(path): \(error)")
            return nil
        }
    }

    /// Counts `records` and `bytes` more read; true when a checkpoint is due and none is being written.
    func isDue(afterReading records: Int, bytes: Int) -> Bool {
        let due = progress.withLock { progress in
            progress.records += records
            progress.bytes += bytes
            return progress.records >= policy.records || progress.bytes >= policy.bytes
                || (progress.records > 0 && ContinuousClock.now - progress.since >= policy.interval)
        }
        return due && !writing.load(ordering: .acquiring)
    }

    /// Serialises and writes `checkpoint` durably (temporary file, fsync, rename, directory fsync)
    /// on a background task; a failure is logged and the next due checkpoint tries again.
    func write(_ checkpoint: RouterCheckpoint) {
        guard writing.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return }
        progress.withLock { $0 = (0, 0, .now) }
        Task.detached(priority: .utility) { [self] in
            defer { writing.store(false, ordering: .releasing) }
            writeNow(checkpoint)
        }
    }

    /// Writes `checkpoint` before returning, after the background write in progress (at shutdown);
    /// nothing when the partition was not read past the last checkpoint.
    func writeFinal(_ checkpoint: RouterCheckpoint) async {
        var acquired = false
        for _ in 0..<1_000 {
            acquired = writing.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
            if acquired { break }
            try? await Task.sleep(for: .milliseconds(10))
        }
        // Not acquired after 10 s: the background write hangs on the disk; do not race it.
        guard acquired else { return }
        defer { writing.store(false, ordering: .releasing) }
        guard progress.withLock({ $0.records > 0 }) else { return }
        writeNow(checkpoint)
    }

    private func writeNow(_ checkpoint: RouterCheckpoint) {
        let started = ContinuousClock.now
        let bytes = checkpoint.serialized()
        do throws(StorageError) {
            try makeDirectory(directory)
            try storage.replaceFile(path, with: bytes)
            writtenCount.add(1, ordering: .relaxed)
            logger.debug("mqtt: partition \(partition): checkpoint at offset \(checkpoint.position), \(checkpoint.sessionCount) sessions, \(bytes.count) bytes in \(ContinuousClock.now - started)")
        } catch {
            logger.error("mqtt: partition \(partition): writing \(path): \(error); the next checkpoint tries again")
        }
    }

    /// Creates `path` and its missing parents, each made durable in its parent.
    private func makeDirectory(_ path: String) throws(StorageError) {
        guard !storage.fileExists(path) else { return }
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else {
            try storage.createDirectory(path)
            return
        }
        let parent = String(path[..<slash])
        try makeDirectory(parent)
        try storage.createDirectory(path)
        try storage.syncDirectory(parent)
    }
}
