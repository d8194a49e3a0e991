import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The threads every log of the process shares (SPEC.md §7): a fixed set of lanes, one per
/// core, each running the writers of the logs assigned to it, and the fdatasyncs they start,
/// which go to one shared io_uring ring (`.uring`) or to a pool of sync threads (POSIX and
/// simulated storage), and a pool of read threads for `Log.fetch`. An open log owns no thread: it is a writer that a lane runs when there
/// is work for it, and a syncer whose fdatasyncs run on the shared sync service.
final class IOEngine: Sendable {
    /// The engine of this process, started when the first log opens for writing.
    static let shared = IOEngine(
        laneCount: max(1, min(8, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))), syncThreadsMax: 16, readThreadsMax: 8)

    let lanes: [EngineLane]
    /// Runs the fdatasyncs of logs on POSIX and simulated storage; a thread is started only
    /// when a sync finds every started thread busy, up to `syncThreadsMax`.
    let syncPool: SyncThreadPool
    /// Runs the reads of `Log.fetch`, so that no task of Swift's cooperative pool blocks on
    /// the disk.
    let readPool: BlockingPool
    /// The ring io_uring logs' fdatasyncs go to; set up when the first such log opens.
    private let ring = Mutex<UringSyncRing?>(nil)
    private let hasRing = Atomic<Bool>(false)

    /// Most threads the engine runs: its lanes, the sync and read pools and the ring's reaper.
    var threadsMax: Int { lanes.count + syncPool.threadsMax + readPool.threadsMax + 1 }

    init(laneCount: Int, syncThreadsMax: Int, readThreadsMax: Int) {
        precondition(laneCount >= 1 && syncThreadsMax >= 1)
        syncPool = SyncThreadPool(threadsMax: syncThreadsMax)
        readPool = BlockingPool(name: "iris-read", threadsMax: readThreadsMax)
        lanes = (0..<laneCount).map { EngineLane(index: $0) }
        for lane in lanes { lane.start(engine: self) }
    }

    /// The lane with the fewest logs, for a log opening now.
    func leastLoadedLane() -> EngineLane {
        lanes.min { $0.logCount < $1.logCount }!
    }

    /// Where the fdatasyncs of a log on `storage` run: the shared ring for io_uring storage,
    /// else the sync pool (which calls the file's own `sync()`).
    func syncService(for storage: any Storage) throws(StorageError) -> any SyncService {
        guard storage is UringStorage else { return syncPool }
        return try uringRing()
    }

    /// The shared ring, set up on first use; throws when io_uring cannot be set up here.
    func uringRing() throws(StorageError) -> UringSyncRing {
        try ring.withLock { ring throws(StorageError) -> UringSyncRing in
            if let ring { return ring }
            let made = try UringSyncRing()
            ring = made
            hasRing.store(true, ordering: .releasing)
            return made
        }
    }

    /// Hands the fdatasyncs started since the last flush to the kernel, in one submission.
    func flushSyncs() {
        guard hasRing.load(ordering: .acquiring) else { return }
        ring.withLock { $0 }?.flush()
    }
}
