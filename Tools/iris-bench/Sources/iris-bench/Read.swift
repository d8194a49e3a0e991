import ArgumentParser
import Foundation
import IrisLog
#if canImport(Glibc)
import Glibc
#endif

struct Read: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sequentially scan an iris log with Log.scan, read, readSlices or fetch.",
        discussion: """
            Reads DIR/iris (as left by `append --engine iris --dir DIR`) or, when that does not
            exist, DIR itself. With --records it first writes a fresh log of that many records there.
            The page cache of the segment files is dropped first unless --no-drop-cache. Then the
            same segment files are dropped again and read raw, whole, with 1 MiB preads
            (raw_read_mb_per_sec): the disk's figure for the same bytes at the same age.
            """)

    @Option(help: "Base directory (DIR/iris is read when it exists, else DIR).")
    var dir: String
    @Option(help: "Write a fresh log of this many records first.")
    var records: Int?
    @Option(help: "Bytes per record value, with --records.")
    var recordSize = 1024
    @Option(help: "maxBytes passed to each read call.")
    var maxBytes = 4 << 20
    @Option(help: "Read API: read (an array per value), slices (Log.readSlices), fetch (Log.fetch, async on the engine's read threads) or scan (Log.scan, views of one reused buffer).")
    var api: ReadAPI = .scan
    @Flag(inversion: .prefixedNo, help: "Drop the segments from the page cache before reading.")
    var dropCache = true
    @Flag(help: "Print one JSON object as the last line.")
    var json = false

    func run() async throws {
        var path = dir + "/iris"
        if records == nil && !FileManager.default.fileExists(atPath: path) { path = dir }
        if let records {
            Files.remove(path)
            try Files.makeDirectory(path)
            try await Self.fill(path: path, records: records, recordSize: recordSize)
        }
        let residentAfterDrop = dropCache ? Files.dropPageCache(directory: path) : .nan
        var configuration = LogConfiguration()
        configuration.readOnly = true
        let before = ResourceUsage.now()
        let t0 = MonotonicClock.nanoseconds()
        let log = try Log.open(directory: path, configuration: configuration)
        let t1 = MonotonicClock.nanoseconds()
        var offset = log.firstOffset
        let end = log.nextOffset
        var count = 0
        var bytes = 0
        var calls = 0
        while offset < end {
            let read: (count: Int, bytes: Int, last: Offset?)
            switch api {
            case .read:
                let batch = try log.read(from: offset, maxBytes: maxBytes)
                read = (batch.count, batch.reduce(0) { $0 + $1.value.count + ($1.key?.count ?? 0) }, batch.last?.offset)
            case .slices:
                let batch = try log.readSlices(from: offset, maxBytes: maxBytes)
                read = (batch.count, batch.reduce(0) { $0 + $1.value.count + ($1.key?.count ?? 0) }, batch.last?.offset)
            case .fetch:
                let batch = try await log.fetch(from: offset, maxBytes: maxBytes)
                read = (batch.count, batch.reduce(0) { $0 + $1.value.count + ($1.key?.count ?? 0) }, batch.last?.offset)
            case .scan:
                var scanned = (count: 0, bytes: 0)
                let next = try log.scan(from: offset, maxBytes: maxBytes) { view in
                    scanned.count += 1
                    scanned.bytes += view.value.count + (view.key?.count ?? 0)
                    return true
                }
                read = (scanned.count, scanned.bytes, next > offset ? Offset(next.rawValue - 1) : nil)
            }
            guard let last = read.last else { break }
            calls += 1
            count += read.count
            bytes += read.bytes
            offset = last.advanced(by: 1)
        }
        let t2 = MonotonicClock.nanoseconds()
        let after = ResourceUsage.now()
        await log.close()
        // The segment files' data only: the active one is preallocated past its end.
        let raw = try Files.readColdSequentially(directory: path, suffix: ".log", limit: log.sizeBytes)
        let seconds = Double(t2 - t1) / 1e9
        var report = baseReport("read", title: "read \(path)")
        report.add("engine", "iris")
        report.add("dir", path)
        report.add("segments", log.segmentCount)
        report.add("log_bytes", log.sizeBytes)
        report.add("records", count)
        report.add("value_bytes", bytes)
        report.add("api", api.rawValue)
        report.add("read_calls", calls)
        report.add("max_bytes_per_call", maxBytes)
        report.add("page_cache_dropped", dropCache)
        report.add("resident_fraction_after_drop", residentAfterDrop)
        report.add("open_ms", Double(t1 - t0) / 1e6)
        report.add("duration_s", seconds)
        report.add("records_per_sec", Double(count) / seconds)
        report.add("mb_per_sec", Double(bytes) / 1e6 / seconds)
        report.add("log_mb_per_sec", Double(log.sizeBytes) / 1e6 / seconds)
        report.add("cpu_seconds", after.cpuSeconds - before.cpuSeconds)
        report.add("cpu_ns_per_record", (after.cpuSeconds - before.cpuSeconds) * 1e9 / Double(max(count, 1)))
        report.add("raw_read_mb_per_sec", Double(raw.bytes) / 1e6 / raw.seconds)
        report.add("raw_read_resident_fraction_before", raw.resident)
        report.add("log_vs_raw", Double(log.sizeBytes) / 1e6 / seconds / (Double(raw.bytes) / 1e6 / raw.seconds))
        report.add("peak_rss_mb", after.peakRSSMiB)
        report.emit(json: json)
    }

    /// Writes `records` records quickly: 16 producers of 64-record batches, durability fsync.
    static func fill(path: String, records: Int, recordSize: Int) async throws {
        let log = try Log.open(directory: path)
        let payload = makePayload(size: recordSize)
        let producers = 16
        let batch = 64
        try await withThrowingTaskGroup(of: Void.self) { group in
            for producer in 0..<producers {
                let mine = records / producers + (producer < records % producers ? 1 : 0)
                group.addTask {
                    var left = mine
                    while left > 0 {
                        let n = min(batch, left)
                        _ = try await log.append(contentsOf: Array(repeating: Record(value: payload), count: n))
                        left -= n
                    }
                }
            }
            try await group.waitForAll()
        }
        await log.close()
    }
}

enum ReadAPI: String, ExpressibleByArgument, CaseIterable {
    case read, slices, fetch, scan
}
