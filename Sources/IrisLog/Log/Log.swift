import Logging
#if canImport(Glibc)
import Glibc
#endif

/// An append-only, segmented, durable log in one directory.
///
/// Appends from any number of tasks are grouped by the log's writer, written and made
/// durable with one fdatasync per group (io_uring or POSIX), and acknowledged only after
/// that sync (`Durability.fsync`, the default). Readers see only acknowledged records.
/// Every log of the process shares one I/O engine: a lane thread per core runs the writers,
/// and their fdatasyncs run together on a shared io_uring ring or sync threads (SPEC.md §7),
/// so an open log owns no thread.
/// Opening after a crash cuts a torn tail and refuses corruption in synced data; see
/// SPEC.md for the format and the exact rules.
///
/// Isolation: every method may be called from any task or thread. Call `close()` when done:
/// the I/O engine keeps the log alive until then.
public final class Log: Sendable {
    /// The directory the log lives in.
    public let directory: String
    /// The settings the log was opened with, as validated by `LogConfiguration.validate()`;
    /// they do not change while it is open.
    public let configuration: LogConfiguration
    /// What opening the log found and did.
    public let recoveryReport: RecoveryReport
    /// The I/O layer in use: "io_uring", "posix" or "simulated".
    public let ioBackendName: String

    let storage: any Storage
    let logger: Logger
    let metrics: LogMetrics
    let lock: ConditionLock<LogState>
    /// How the writer is woken on its engine lane; nil for a read-only log.
    let writerSlot: WriterSlot?
    private let directoryLock: (any DirectoryLock)?

    /// Opens (creating when missing) the log in `directory`, recovering from any crash.
    ///
    /// - Throws: `LogError.locked` when another writer has it open, `.corruptFrame` or
    ///   `.corruptLog` when synced data is damaged (open with `readOnly` to read the valid
    ///   prefix), `.invalidConfiguration`, `.io`, `.noSpace`.
    public static func open(
        directory: String, configuration: LogConfiguration = LogConfiguration(),
        logger: Logger = Logger(label: "iris.log")
    ) throws(LogError) -> Log {
        try configuration.validate()
        let storage = makeStorage(configuration.ioBackend, logger: logger)
        let directoryLock = try lockForWriting(directory, storage: storage, readOnly: configuration.readOnly)
        do {
            let loader = LogLoader(directory: directory, storage: storage, configuration: configuration, logger: logger)
            let loaded = try loader.load()
            return try Log(directory: directory, configuration: configuration, storage: storage, logger: logger,
                           loaded: loaded, directoryLock: directoryLock)
        } catch {
            directoryLock?.release()
            throw LogError(opening: error)
        }
    }

    /// For writing: creates the directory when missing and takes its lock (nil read-only).
    private static func lockForWriting(_ directory: String, storage: any Storage, readOnly: Bool) throws(LogError) -> (any DirectoryLock)? {
        guard !readOnly else { return nil }
        do {
            try createDurably(directory, storage: storage)
            return try storage.lock(directory + "/" + SegmentFileName.lock)
        } catch {
            if error.operation == "flock" && error.errno == EWOULDBLOCK { throw .locked(directory: directory) }
            throw LogError(error)
        }
    }

    /// Creates the log's directory when missing and makes its entry durable (an fsync of the
    /// parent), so a power loss cannot take the directory, and the records acknowledged in
    /// it, away.
    private static func createDurably(_ directory: String, storage: any Storage) throws(StorageError) {
        guard !storage.fileExists(directory) else { return }
        try storage.createDirectory(directory)
        try storage.syncDirectory(parentDirectory(of: directory))
    }

    /// The directory holding `path`: "/" for "/log", "." for "log".
    static func parentDirectory(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    private static func makeStorage(_ backend: IOBackend, logger: Logger) -> any Storage {
        switch backend {
        case .posix:
            return PosixStorage()
        case .simulated(let disk):
            return SimulatedStorage(disk: disk)
        case .uring:
            do {
                return try UringStorage()
            } catch {
                logger.warning("io_uring unavailable, using pwrite + fdatasync", metadata: ["error": "\(error)"])
                return PosixStorage()
            }
        }
    }

    private init(
        directory: String, configuration: LogConfiguration, storage: any Storage, logger: Logger,
        loaded: LoadedLog, directoryLock: (any DirectoryLock)?
    ) throws {
        self.directory = directory
        self.configuration = configuration
        self.storage = storage
        self.logger = logger
        self.recoveryReport = loaded.report
        self.ioBackendName = storage.name
        self.directoryLock = directoryLock
        self.metrics = LogMetrics(directory: directory)
        var state = LogState(
            appendQueueBytesMax: configuration.appendQueueBytesMax, segments: loaded.segments,
            nextOffset: loaded.nextOffset, lastCRC: loaded.lastCRC)
        if configuration.readOnly {
            state.closing = true
            state.writerExited = true
        }
        self.lock = ConditionLock(state)
        guard !configuration.readOnly else {
            self.writerSlot = nil
            return
        }
        let engine = IOEngine.shared
        let slot = WriterSlot(lane: engine.leastLoadedLane())
        self.writerSlot = slot
        let writer = LogWriter(log: self, loaded: loaded, lane: slot.lane, syncService: try engine.syncService(for: storage))
        slot.lane.attach(writer, to: slot)
        slot.wake()
    }

    /// Gives the writer a turn on its lane: it has work (an append, a request, a finished
    /// sync, a close).
    func wakeWriter() { writerSlot?.wake() }

    /// The oldest offset still in the log (retention moves it forward).
    public var firstOffset: Offset { lock.withLock { $0.firstOffset } }

    /// One past the newest readable record: offsets in `firstOffset..<nextOffset` can be read.
    public var nextOffset: Offset { lock.withLock { $0.durableNext } }

    /// Number of segment files.
    public var segmentCount: Int { lock.withLock { $0.segments.count } }

    /// Bytes of record data held (frames, headers included), excluding preallocated space.
    public var sizeBytes: Int { lock.withLock { $0.segments.reduce(0) { $0 + $1.summary.dataEnd } } }

    /// The failure that stopped the log (a write, sync or checkpoint error), nil while it works.
    /// Once set, appends and maintenance fail; reads of acknowledged records go on.
    public var failure: LogError? { lock.withLock { $0.failure } }

    /// Stops accepting appends, waits until every admitted append is durable (or failed),
    /// syncs what `Durability.none` left unsynced, writes a final checkpoint and releases the
    /// directory lock. Idempotent.
    ///
    /// - Returns: nil when everything acknowledged is durable and checkpointed; otherwise the
    ///   failure that stopped the log, before or during the close (then records acknowledged
    ///   under `.none` since the last `sync()` may not be durable). Reopen to recover.
    @discardableResult
    public func close() async -> LogError? {
        let wait: Bool = lock.withLock { state in
            state.closing = true
            return !state.writerExited
        }
        wakeWriter()
        if wait {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                let exited = lock.withLock { state in
                    if state.writerExited { return true }
                    state.closeWaiters.append(continuation)
                    return false
                }
                if exited { continuation.resume() }
            }
        }
        let tail = lock.withLock { $0.takeTailWaiters() }
        tail.forEach { $0.resume() }
        directoryLock?.release()
        return failure
    }

    func path(_ name: String) -> String { directory + "/" + name }
}
