import ArgumentParser
import CRocksDB
import CSQLite
import Foundation
import IrisLog
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

enum EngineChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    case iris, sqlite, rocksdb
}

enum CompressionChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    case none, zstd
}

enum IOChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    case uring, posix
}

/// How iris's producers append: Swift tasks awaiting `append`, or OS threads in `appendBlocking`.
enum IrisAPI: String, ExpressibleByArgument, CaseIterable, Sendable {
    case async, blocking
}

/// What every engine's run hands back.
struct AppendOutcome {
    var records: Int
    var elapsedNanoseconds: UInt64
    /// How the engine was set up, for the output.
    var configuration: String
    var extra: [(String, JSONValue)] = []
}

struct Append: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "N producers append durably for a fixed time; throughput, latency, CPU and memory.",
        discussion: """
            Every producer appends --batch records per call and waits until the call is durable
            (fdatasync'ed) before the next. iris: one Swift task per producer on one Log.
            sqlite and rocksdb: one OS thread per producer through their C libraries; see the
            `config` field of the output for how each is set up.
            """)

    @Option(help: "Engine: iris, sqlite or rocksdb.")
    var engine: EngineChoice = .iris
    @Option(help: "Bytes of value per record.")
    var recordSize = 1024
    @Option(help: "Concurrent producers.")
    var producers = 1
    @Option(help: "Seconds to run.")
    var duration: Double = 5
    @Option(help: "Records per append call (one frame / transaction / WriteBatch).")
    var batch = 1
    @Option(help: "Compression: none or zstd (iris and rocksdb; ignored by sqlite).")
    var compression: CompressionChoice = .none
    @Option(help: "Iris I/O backend: posix (the engine's default) or uring.")
    var io: IOChoice = .posix
    @Option(help: "Base directory; the engine writes in DIR/<engine>, which is emptied first.")
    var dir: String
    @Option(help: "iris only: logs to append to, each in its own directory; producer i appends to log i mod LOGS.")
    var logs = 1
    @Option(help: "iris only: KiB of zeroes written ahead of the data (LogConfiguration.zeroAheadBytes; 0: off; default the engine's).")
    var zeroAheadKib: Int?
    @Option(help: "iris only: producers as Swift tasks calling `append` (async) or as OS threads calling `appendBlocking` (blocking, as SQLite's and RocksDB's producers are threads).")
    var irisApi: IrisAPI = .async
    @Flag(help: "sqlite only: serialize writers with an in-process mutex instead of SQLite's busy handler.")
    var sqliteMutex = false
    @Flag(help: "Print one JSON object as the last line.")
    var json = false

    func validate() throws {
        guard recordSize >= 1, producers >= 1, batch >= 1, duration > 0 else {
            throw ValidationError("record-size, producers, batch and duration must be positive")
        }
        guard logs >= 1, logs <= producers else { throw ValidationError("logs must be between 1 and producers") }
        guard logs == 1 || engine == .iris else { throw ValidationError("--logs is for --engine iris") }
        guard (zeroAheadKib ?? 0) >= 0 else { throw ValidationError("zero-ahead-kib must not be negative") }
    }

    func run() async throws {
        let path = dir + "/" + engine.rawValue
        Files.remove(path)
        try Files.makeDirectory(path)
        let payload = makePayload(size: recordSize)
        let latency = LatencyRecorder()
        let before = ResourceUsage.now()
        let outcome: AppendOutcome
        switch engine {
        case .iris:
            outcome = try await IrisAppend(path: path, payload: payload, producers: producers, logs: logs, batch: batch,
                                           seconds: duration, compression: compression, io: io,
                                           zeroAheadBytes: zeroAheadKib.map { $0 << 10 }, api: irisApi).run(latency)
        case .sqlite:
            outcome = try SQLiteAppend(path: path, payload: payload, producers: producers, batch: batch,
                                       seconds: duration, serialize: sqliteMutex).run(latency)
        case .rocksdb:
            outcome = try RocksDBAppend(path: path, payload: payload, producers: producers, batch: batch,
                                        seconds: duration, compression: compression).run(latency)
        }
        let after = ResourceUsage.now()
        let seconds = Double(outcome.elapsedNanoseconds) / 1e9
        var report = baseReport("append", title: "append \(engine.rawValue)")
        report.add("engine", engine.rawValue)
        report.add("record_size", recordSize)
        report.add("producers", producers)
        report.add("logs", logs)
        report.add("batch", batch)
        report.add("duration_s", seconds)
        report.add("compression", engine == .sqlite ? "none" : compression.rawValue)
        report.add("records", outcome.records)
        report.add("calls", Int(latency.count))
        report.add("records_per_sec", Double(outcome.records) / seconds)
        report.add("mb_per_sec", Double(outcome.records * recordSize) / 1e6 / seconds)
        report.add("p50_us", latency.microseconds(atPercentile: 50))
        report.add("p99_us", latency.microseconds(atPercentile: 99))
        report.add("p999_us", latency.microseconds(atPercentile: 99.9))
        report.add("max_us", latency.maxMicroseconds)
        report.add("mean_us", latency.meanMicroseconds)
        report.add("cpu_seconds", after.cpuSeconds - before.cpuSeconds)
        report.add("cpu_us_per_record", (after.cpuSeconds - before.cpuSeconds) * 1e6 / Double(max(outcome.records, 1)))
        report.add("peak_rss_mb", after.peakRSSMiB)
        for (key, value) in outcome.extra { report.add(key, value: value) }
        report.add("config", outcome.configuration)
        report.emit(json: json)
    }
}

// MARK: - iris

struct IrisAppend {
    let path: String
    let payload: [UInt8]
    let producers: Int
    let logs: Int
    let batch: Int
    let seconds: Double
    let compression: CompressionChoice
    let io: IOChoice
    let zeroAheadBytes: Int?
    let api: IrisAPI

    func run(_ latency: LatencyRecorder) async throws -> AppendOutcome {
        var configuration = LogConfiguration()  // defaults: 64 MiB segments, 1 MiB write groups, .fsync
        configuration.ioBackend = io == .posix ? .posix : .uring
        if let zeroAheadBytes { configuration.zeroAheadBytes = zeroAheadBytes }
        configuration.compression = compression == .zstd ? .zstd : .none
        configuration.durability = .fsync
        GroupCommitStats.bootstrap()
        let threadsBefore = ResourceUsage.threadCount()
        let residentBefore = ResourceUsage.residentBytes()
        let opened = try (0..<logs).map { index in
            try Log.open(directory: logs == 1 ? path : path + "/log-\(index)", configuration: configuration)
        }
        let threadsOpen = ResourceUsage.threadCount()
        let residentPerLog = (ResourceUsage.residentBytes() - residentBefore) / logs
        let groupsBefore = GroupCommitStats.shared.snapshot
        let records = Array(repeating: Record(value: payload), count: batch)
        let batch = self.batch
        let total: Int
        let elapsed: UInt64
        switch api {
        case .async:
            let start = MonotonicClock.nanoseconds()
            let deadline = start + UInt64(seconds * 1e9)
            total = try await withThrowingTaskGroup(of: Int.self) { group in
                for producer in 0..<producers {
                    let log = opened[producer % opened.count]
                    group.addTask {
                        var appended = 0
                        while MonotonicClock.nanoseconds() < deadline {
                            let t0 = MonotonicClock.nanoseconds()
                            _ = try await log.append(contentsOf: records)
                            latency.record(nanoseconds: MonotonicClock.nanoseconds() - t0)
                            appended += batch
                        }
                        return appended
                    }
                }
                return try await group.reduce(0, +)
            }
            elapsed = MonotonicClock.nanoseconds() - start
        case .blocking:
            (total, elapsed) = try ProducerThreads.run(count: producers, seconds: seconds) { producer, deadline in
                let log = opened[producer % opened.count]
                var appended = 0
                while MonotonicClock.nanoseconds() < deadline {
                    let t0 = MonotonicClock.nanoseconds()
                    _ = try log.appendBlocking(contentsOf: records)
                    latency.record(nanoseconds: MonotonicClock.nanoseconds() - t0)
                    appended += batch
                }
                return appended
            }
        }
        let backend = opened[0].ioBackendName
        let groupsAfter = GroupCommitStats.shared.snapshot
        for log in opened { await log.close() }
        let groups = groupsAfter.groups - groupsBefore.groups
        let sync = GroupCommitStats.shared.syncLatency
        let config = "iris: Log defaults (64 MiB segments, writeGroupBytesMax 1 MiB, appendQueueBytesMax 16 MiB), "
            + "durability fsync (one fdatasync per group), zero-ahead \(configuration.zeroAheadBytes >> 10) KiB, "
            + "io \(backend), compression \(compression.rawValue), "
            + (api == .async ? "one Swift task per producer, append(contentsOf:)" : "one OS thread per producer, appendBlocking(contentsOf:)")
            + " of \(batch) record(s)"
            + (logs > 1 ? ", \(logs) logs, producer i on log i mod \(logs)" : "")
        return AppendOutcome(records: total, elapsedNanoseconds: elapsed, configuration: config,
                             extra: [("io_backend", .string(backend)),
                                     ("iris_api", .string(api.rawValue)),
                                     ("threads_for_logs", .int(threadsOpen - threadsBefore)),
                                     ("resident_bytes_per_open_log", .int(residentPerLog)),
                                     ("groups", .int(groups)),
                                     ("groups_per_sec", .double(Double(groups) / (Double(elapsed) / 1e9))),
                                     ("records_per_group", .double(Double(groupsAfter.records - groupsBefore.records) / Double(max(groups, 1)))),
                                     ("group_kib", .double(Double(groupsAfter.bytes - groupsBefore.bytes) / 1024 / Double(max(groups, 1)))),
                                     ("fdatasync_p50_us", .double(sync.microseconds(atPercentile: 50))),
                                     ("fdatasync_p99_us", .double(sync.microseconds(atPercentile: 99)))])
    }
}

// MARK: - SQLite

/// SQLite, configured as a durable embedded log would use it:
/// - WAL journal (`PRAGMA journal_mode=WAL`), `PRAGMA synchronous=FULL` on every connection, so
///   each COMMIT fdatasyncs the WAL before returning: the same durability as iris `.fsync`;
/// - table `log(id INTEGER PRIMARY KEY, value BLOB)`, ids assigned by SQLite (rowid);
/// - one connection per producer thread (SQLITE_OPEN_NOMUTEX), a prepared INSERT per
///   connection, one `BEGIN IMMEDIATE … COMMIT` per call holding `batch` INSERTs;
/// - SQLite allows one writer at a time: a waiting connection retries through `busy_timeout`
///   (60 s), SQLite's own busy handler (it sleeps between retries). With `--sqlite-mutex` the
///   threads queue on an in-process mutex instead, which is how a single-process application
///   would usually serialize its writers;
/// - everything else default (4 KiB pages, wal_autocheckpoint 1000 pages, no mmap).
struct SQLiteAppend {
    let path: String
    let payload: [UInt8]
    let producers: Int
    let batch: Int
    let seconds: Double
    let serialize: Bool

    static func check(_ rc: Int32, _ db: OpaquePointer?, _ what: String) throws {
        guard rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "rc \(rc)"
            throw BenchError("sqlite \(what): \(message) (rc \(rc))")
        }
    }

    static func exec(_ db: OpaquePointer?, _ sql: String) throws {
        var rc: Int32
        repeat { rc = sqlite3_exec(db, sql, nil, nil, nil) } while rc == SQLITE_BUSY
        try check(rc, db, sql)
    }

    static func connect(_ file: String) throws -> OpaquePointer? {
        var db: OpaquePointer?
        try check(sqlite3_open_v2(file, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil), db, "open")
        sqlite3_busy_timeout(db, 60_000)
        try exec(db, "PRAGMA synchronous=FULL")
        return db
    }

    func run(_ latency: LatencyRecorder) throws -> AppendOutcome {
        let file = path + "/bench.sqlite"
        let setup = try Self.connect(file)
        try Self.exec(setup, "PRAGMA journal_mode=WAL")
        try Self.exec(setup, "CREATE TABLE log(id INTEGER PRIMARY KEY, value BLOB)")
        sqlite3_close(setup)
        let payload = self.payload
        let batch = self.batch
        let writerLock = NSLock()
        let serialize = self.serialize
        let (records, elapsed) = try ProducerThreads.run(count: producers, seconds: seconds) { _, deadline in
            let db = try Self.connect(file)
            defer { sqlite3_close(db) }
            var statement: OpaquePointer?
            try Self.check(sqlite3_prepare_v2(db, "INSERT INTO log(value) VALUES (?1)", -1, &statement, nil), db, "prepare")
            defer { sqlite3_finalize(statement) }
            var appended = 0
            while MonotonicClock.nanoseconds() < deadline {
                let t0 = MonotonicClock.nanoseconds()
                if serialize { writerLock.lock() }
                do {
                    try Self.exec(db, "BEGIN IMMEDIATE")
                    for _ in 0..<batch {
                        let rc = payload.withUnsafeBytes { bytes in
                            sqlite3_bind_blob(statement, 1, bytes.baseAddress, Int32(bytes.count), nil)  // SQLITE_STATIC
                            return sqlite3_step(statement)
                        }
                        try Self.check(rc, db, "insert")
                        sqlite3_reset(statement)
                    }
                    try Self.exec(db, "COMMIT")
                } catch {
                    if serialize { writerLock.unlock() }
                    throw error
                }
                if serialize { writerLock.unlock() }
                latency.record(nanoseconds: MonotonicClock.nanoseconds() - t0)
                appended += batch
            }
            return appended
        }
        let config = "sqlite \(String(cString: sqlite3_libversion())): journal_mode=WAL, synchronous=FULL, "
            + "table log(id INTEGER PRIMARY KEY, value BLOB), one connection per producer thread, "
            + "BEGIN IMMEDIATE + \(batch) INSERT(s) + COMMIT per call, "
            + (serialize ? "writers serialized by an in-process mutex" : "writers serialized by busy_timeout=60000 ms")
            + ", other settings default"
        return AppendOutcome(records: records, elapsedNanoseconds: elapsed, configuration: config)
    }
}

// MARK: - RocksDB

/// RocksDB through its C API, configured as a durable log would use it:
/// - `WriteOptions.sync = true`: every Write returns after the WAL is fdatasynced (RocksDB groups
///   concurrent writers behind one leader and one WAL sync: its own group commit);
/// - one `WriteBatch` per call holding `batch` Puts; keys are 8-byte big-endian sequence numbers
///   from one atomic counter (so keys arrive nearly in order, as in a log);
/// - one DB, one OS thread per producer;
/// - `create_if_missing`, `increase_parallelism(2)` (2 cores), compression as `--compression`
///   (none or zstd; note RocksDB compresses SST files only: the WAL written on the append path
///   stays uncompressed, whereas iris compresses each batch before writing it); everything else default (64 MiB memtables, leveled compaction,
///   WAL fsync via fdatasync, no direct I/O).
struct RocksDBAppend {
    let path: String
    let payload: [UInt8]
    let producers: Int
    let batch: Int
    let seconds: Double
    let compression: CompressionChoice

    final class Counter: Sendable {
        let next = Atomic<UInt64>(0)
    }

    static func check(_ error: UnsafeMutablePointer<CChar>?, _ what: String) throws {
        if let error {
            let message = String(cString: error)
            rocksdb_free(error)
            throw BenchError("rocksdb \(what): \(message)")
        }
    }

    func run(_ latency: LatencyRecorder) throws -> AppendOutcome {
        let options = rocksdb_options_create()
        defer { rocksdb_options_destroy(options) }
        rocksdb_options_set_create_if_missing(options, 1)
        rocksdb_options_increase_parallelism(options, 2)
        rocksdb_options_set_compression(options, Int32(compression == .zstd ? rocksdb_zstd_compression : rocksdb_no_compression))
        var error: UnsafeMutablePointer<CChar>?
        let db = rocksdb_open(options, path + "/db", &error)
        try Self.check(error, "open")
        defer { rocksdb_close(db) }
        let writeOptions = rocksdb_writeoptions_create()
        defer { rocksdb_writeoptions_destroy(writeOptions) }
        rocksdb_writeoptions_set_sync(writeOptions, 1)

        let shared = UnsafeSendableBox(value: (db, writeOptions))
        let counter = Counter()
        let payload = self.payload
        let batch = self.batch
        let (records, elapsed) = try ProducerThreads.run(count: producers, seconds: seconds) { _, deadline in
            let (db, writeOptions) = shared.value
            let writeBatch = rocksdb_writebatch_create()
            defer { rocksdb_writebatch_destroy(writeBatch) }
            var appended = 0
            var key = [UInt8](repeating: 0, count: 8)
            while MonotonicClock.nanoseconds() < deadline {
                let t0 = MonotonicClock.nanoseconds()
                rocksdb_writebatch_clear(writeBatch)
                for _ in 0..<batch {
                    let sequence = counter.next.add(1, ordering: .relaxed).oldValue
                    for i in 0..<8 { key[i] = UInt8(truncatingIfNeeded: sequence >> (56 - 8 * UInt64(i))) }
                    key.withUnsafeBytes { k in
                        payload.withUnsafeBytes { v in
                            rocksdb_writebatch_put(writeBatch, k.baseAddress?.assumingMemoryBound(to: CChar.self), 8,
                                                   v.baseAddress?.assumingMemoryBound(to: CChar.self), v.count)
                        }
                    }
                }
                var error: UnsafeMutablePointer<CChar>?
                rocksdb_write(db, writeOptions, writeBatch, &error)
                try Self.check(error, "write")
                latency.record(nanoseconds: MonotonicClock.nanoseconds() - t0)
                appended += batch
            }
            return appended
        }
        let config = "rocksdb (Debian librocksdb 7.8): WriteOptions.sync=true, one WriteBatch of \(batch) Put(s) per call, "
            + "8-byte big-endian keys from an atomic counter, one DB, one thread per producer, "
            + "create_if_missing, increase_parallelism(2), compression \(compression.rawValue) (SST files only; WAL uncompressed), other options default"
        return AppendOutcome(records: records, elapsedNanoseconds: elapsed, configuration: config)
    }
}
