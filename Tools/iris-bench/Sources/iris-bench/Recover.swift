import ArgumentParser
import Foundation
import IrisLog
#if canImport(Glibc)
import Glibc
#endif

struct Recover: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time Log.open after a SIGKILL, and the index rebuild.",
        discussion: """
            A child iris-bench (hidden subcommand recover-writer) appends to DIR/recover until its
            segment files add up to --size-gb GiB and is then SIGKILLed. Then: Log.open is timed
            (open_ms); the log is closed and reopened cleanly (clean_open_ms); every *.index file is
            deleted and the reopen that rebuilds them is timed (rebuild_ms; rebuild_mb_per_sec =
            bytes of sealed segments / rebuild_ms; rebuild_only_mb_per_sec subtracts clean_open_ms).
            The size counts sealed segments only (the active one is preallocated), so the log holds
            at least --size-gb GiB of frames. The page cache of the
            log's files is dropped before each open unless --no-drop-cache.
            """)

    @Option(help: "GiB of segment files to write before the kill (0.1 for a smoke test).")
    var sizeGb: Double
    @Option(help: "Base directory; the log is DIR/recover, emptied first.")
    var dir: String
    @Option(help: "Bytes per record value.")
    var recordSize = 1024
    @Option(help: "Writer producers.")
    var producers = 32
    @Option(help: "Writer records per append (1: one frame per record, the densest index).")
    var batch = 1
    @Option(help: "Segment size in MiB (small values let a smoke run roll segments).")
    var segmentMb = 64
    @Flag(inversion: .prefixedNo, help: "Drop the log's files from the page cache before each open.")
    var dropCache = true
    @Flag(help: "Keep the log afterwards.")
    var keep = false
    @Flag(help: "Print one JSON object as the last line.")
    var json = false

    func run() async throws {
        let path = dir + "/recover"
        Files.remove(path)
        try Files.makeDirectory(path)
        let target = Int(sizeGb * Double(1 << 30))
        var configuration = LogConfiguration()
        configuration.segmentSizeBytes = segmentMb << 20

        // 1. Write in a child process and SIGKILL it once the segments reach the target size.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.ownExecutable())
        process.arguments = ["recover-writer", "--dir", path, "--record-size", "\(recordSize)",
                             "--producers", "\(producers)", "--batch", "\(batch)", "--segment-mb", "\(segmentMb)"]
        let writeStart = MonotonicClock.nanoseconds()
        try process.run()
        var written = 0
        while true {
            written = Self.sealedBytes(path)
            if written >= target { break }
            guard process.isRunning else { throw BenchError("the writer exited (status \(process.terminationStatus)) before \(target) bytes") }
            usleep(10_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let writeSeconds = Double(MonotonicClock.nanoseconds() - writeStart) / 1e9

        // 2. Index sizes as the writer left them (sealed segments have one each).
        let segments = Self.segmentBases(path)
        guard segments.count >= 2 else { throw BenchError("need at least 2 segments (raise --size-gb)") }
        let sealed = segments.dropLast()
        let sealedBytes = sealed.reduce(0) { $0 + Files.size(path + "/" + $1.name) }
        let sealedRecords = Int(segments.last!.base - segments.first!.base)
        let indexBytes = sealed.reduce(0) { $0 + Files.size(path + "/" + $1.name.replacingOccurrences(of: ".log", with: ".index")) }
        // In memory a sealed segment's index is its entries (8 bytes each); the file adds a
        // 48-byte footer (SPEC.md §4) that is not kept resident.
        let residentIndexBytes = indexBytes - 48 * sealed.count

        // 3. Reopen after the crash.
        if dropCache { Files.dropPageCache(directory: path) }
        var t0 = MonotonicClock.nanoseconds()
        var log = try Log.open(directory: path, configuration: configuration)
        let openNanoseconds = MonotonicClock.nanoseconds() - t0
        let first = log.recoveryReport
        let records = Int(log.nextOffset.rawValue - log.firstOffset.rawValue)
        let logBytes = log.sizeBytes
        await log.close()

        // 4. A clean reopen, for the baseline cost of an open with every index present.
        if dropCache { Files.dropPageCache(directory: path) }
        t0 = MonotonicClock.nanoseconds()
        log = try Log.open(directory: path, configuration: configuration)
        let cleanOpenNanoseconds = MonotonicClock.nanoseconds() - t0
        let clean = log.recoveryReport
        await log.close()

        // 5. Delete the indexes and time the rebuilding open.
        var deleted = 0
        for name in Files.list(path) where name.hasSuffix(".index") {
            unlink(path + "/" + name)
            deleted += 1
        }
        if dropCache { Files.dropPageCache(directory: path) }
        t0 = MonotonicClock.nanoseconds()
        log = try Log.open(directory: path, configuration: configuration)
        let rebuildNanoseconds = MonotonicClock.nanoseconds() - t0
        let second = log.recoveryReport
        await log.close()
        if !keep { Files.remove(path) }

        var report = baseReport("recover", title: "recover \(path)")
        report.add("engine", "iris")
        report.add("size_gb_target", sizeGb)
        report.add("record_size", recordSize)
        report.add("writer", "\(producers) producers x \(batch) record(s) per append, durability none")
        report.add("write_s", writeSeconds)
        report.add("write_mb_per_sec", Double(written) / 1e6 / writeSeconds)
        report.add("segments", segments.count)
        report.add("records", records)
        report.add("log_bytes", logBytes)
        report.add("page_cache_dropped", dropCache)
        report.add("open_ms", Double(openNanoseconds) / 1e6)
        report.add("open_scanned_bytes", first.scannedBytes)
        report.add("open_torn_tail", first.tornTail != nil)
        report.add("open_torn_tail_discarded_bytes", first.tornTail?.discardedBytes ?? 0)
        report.add("open_checkpoint_found", first.checkpointFound)
        report.add("clean_open_ms", Double(cleanOpenNanoseconds) / 1e6)
        report.add("clean_open_scanned_bytes", clean.scannedBytes)
        report.add("index_files_deleted", deleted)
        report.add("rebuild_ms", Double(rebuildNanoseconds) / 1e6)
        report.add("rebuilt_indexes", second.rebuiltIndexes.count)
        report.add("rebuild_scanned_bytes", second.scannedBytes)
        report.add("sealed_bytes", sealedBytes)
        report.add("rebuild_mb_per_sec", Double(sealedBytes) / 1e6 / (Double(rebuildNanoseconds) / 1e9))
        let rebuildOnly = Double(rebuildNanoseconds) - Double(cleanOpenNanoseconds)
        report.add("rebuild_only_mb_per_sec", rebuildOnly > 0 ? Double(sealedBytes) / 1e6 / (rebuildOnly / 1e9) : .nan)
        report.add("index_bytes", indexBytes)
        report.add("index_bytes_per_record", Double(indexBytes) / Double(max(sealedRecords, 1)))
        // Index bytes per 1 KiB of record value, whatever the record size (= per record at 1 KiB).
        report.add("index_bytes_per_kib_record", Double(indexBytes) / (Double(max(sealedRecords, 1)) * Double(recordSize) / 1024))
        report.add("index_resident_bytes", residentIndexBytes)
        report.add("index_resident_bytes_per_kib_record",
                   Double(residentIndexBytes) / (Double(max(sealedRecords, 1)) * Double(recordSize) / 1024))
        report.emit(json: json)
    }

    static func ownExecutable() throws -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { throw BenchError("readlink /proc/self/exe failed") }
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Segment files by base offset (their names are the 20-digit base offset + ".log").
    static func segmentBases(_ path: String) -> [(name: String, base: UInt64)] {
        Files.list(path).compactMap { name in
            guard name.hasSuffix(".log"), let base = UInt64(name.dropLast(4)) else { return nil }
            return (name, base)
        }.sorted { $0.base < $1.base }
    }

    /// Bytes of all segments but the newest (sealed segments are cut to their data at the roll).
    static func sealedBytes(_ path: String) -> Int {
        segmentBases(path).dropLast().reduce(0) { $0 + Files.size(path + "/" + $1.name) }
    }
}

/// The child of `recover`: appends until killed (or --max-seconds passes, so an orphan ends).
struct RecoverWriter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "recover-writer", shouldDisplay: false)

    @Option var dir: String
    @Option var recordSize = 1024
    @Option var producers = 16
    @Option var batch = 64
    @Option var segmentMb = 64
    @Option var maxSeconds: Double = 1800

    func run() async throws {
        // Durability .none: the writer only has to fill the log fast; a SIGKILL loses nothing
        // that was written (the page cache survives the process), so the open sees a normal
        // crashed log whose active segment has no index and whose tail may be mid-group.
        var configuration = LogConfiguration()
        configuration.durability = .none
        configuration.segmentSizeBytes = segmentMb << 20
        let log = try Log.open(directory: dir, configuration: configuration)
        let payload = makePayload(size: recordSize)
        let records = Array(repeating: Record(value: payload), count: batch)
        let deadline = MonotonicClock.nanoseconds() + UInt64(maxSeconds * 1e9)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<producers {
                group.addTask {
                    while MonotonicClock.nanoseconds() < deadline {
                        _ = try await log.append(contentsOf: records)
                    }
                }
            }
            try await group.waitForAll()
        }
        await log.close()
    }
}
