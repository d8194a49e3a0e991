import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The disk's physical limits, measured now with plain POSIX calls, as the yardstick for the
/// engines: a durable append can't beat one fdatasync, nor stream faster than
/// `seq_write_fdatasync_1m_mb_per_sec`.
struct Disk: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the disk: 4 KiB pwrite+fdatasync latency, 1 MiB synced write and cold sequential read throughput; with --files, small synced appends spread over many files; with --in-flight, the most durable appends per second at a given number of records in flight.")

    @Option(help: "Directory on the disk to measure (scratch files are created and removed there).")
    var dir: String
    @Option(help: "4 KiB pwrite + fdatasync iterations.")
    var iterations = 2000
    @Option(help: "MiB written by the 1 MiB write + fdatasync test.")
    var writeMib = 256
    @Option(help: "MiB of the file read sequentially.")
    var readMib = 512
    @Option(help: "Also read the files of this directory (written earlier, e.g. an iris log) cold, whole: the settled-file figure, for data of the same age as the log a read benchmark reads.")
    var settledDir: String?
    @Option(help: "Also measure small synced appends spread over this many files (fdatasync per file from --files-threads threads, and one syncfs per round): the disk's figure for `append --logs N`. 0: skip.")
    var files = 0
    @Option(help: "Threads for the per-file fdatasync figure (the I/O engine's sync pool holds at most 16).")
    var filesThreads = 16
    @Option(help: "Seconds for each of the two many-file figures.")
    var filesSeconds = 3.0
    @Option(help: "Also measure the most records per second durable appends can get with this many records in flight, comma-separated (e.g. 1,4,256): the disk's bound for `append --producers C` (best of 1-16 threads each appending and fdatasyncing a group of C / threads records).")
    var inFlight: String = ""
    @Option(help: "Record size for --in-flight.")
    var inFlightRecordBytes = 1024
    @Option(help: "Seconds for each thread count of each --in-flight figure.")
    var inFlightSeconds = 2.0
    @Flag(help: "Print one JSON object as the last line.")
    var json = false

    func validate() throws {
        guard files >= 0 else { throw ValidationError("--files must be 0 (skip) or more") }
        guard filesThreads > 0 else { throw ValidationError("--files-threads must be at least 1") }
        guard filesSeconds > 0 else { throw ValidationError("--files-seconds must be above 0") }
        guard inFlightCounts != nil else {
            throw ValidationError("--in-flight must be a comma-separated list of record counts of 1 or more, e.g. 1,4,256")
        }
        guard inFlightRecordBytes > 0 else { throw ValidationError("--in-flight-record-bytes must be at least 1") }
        guard inFlightSeconds > 0 else { throw ValidationError("--in-flight-seconds must be above 0") }
    }

    func run() throws {
        try Files.makeDirectory(dir)
        let base = dir + "/iris-bench-disk-\(getpid())"
        defer {
            unlink(base + ".sync")
            unlink(base + ".seq")
        }
        var report = baseReport("disk", title: "disk \(dir)")
        report.add("dir", dir)
        try fdatasyncLatency(path: base + ".sync", report: &report)
        try sequential(path: base + ".seq", report: &report)
        if files > 0 {
            try ManyFileSyncs(directory: dir, files: files, threads: min(filesThreads, files), seconds: filesSeconds)
                .measure(into: &report)
        }
        if let counts = inFlightCounts, !counts.isEmpty {
            try GroupSyncBound(directory: dir, recordBytes: inFlightRecordBytes, seconds: inFlightSeconds)
                .measure(inFlight: counts, into: &report)
        }
        if let settledDir {
            let (bytes, seconds, resident) = try Files.readColdSequentially(directory: settledDir)
            report.add("settled_dir", settledDir)
            report.add("settled_read_mb", Double(bytes) / 1e6)
            report.add("settled_read_mb_per_sec", Double(bytes) / 1e6 / seconds)
            report.add("settled_read_resident_fraction_before", resident)
        }
        report.emit(json: json)
    }

    /// `--in-flight` as numbers (empty when not given), nil when it is not a list of counts ≥ 1.
    private var inFlightCounts: [Int]? {
        guard !inFlight.isEmpty else { return [] }
        let counts = inFlight.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard counts.allSatisfy({ ($0 ?? 0) >= 1 }) else { return nil }
        return counts.compactMap { $0 }
    }

    private func openFile(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw BenchError("open \(path): \(String(cString: strerror(errno)))") }
        return fd
    }

    /// 4 KiB pwrite + fdatasync, overwriting blocks of a file that was written and synced first
    /// (so no allocation or size change: the pure cost of a small synced write).
    private func fdatasyncLatency(path: String, report: inout Report) throws {
        let fd = try openFile(path)
        defer { close(fd) }
        let fileBytes = 64 << 20
        let chunk = [UInt8](repeating: 0, count: 1 << 20)
        for offset in stride(from: 0, to: fileBytes, by: chunk.count) { try Files.writeAll(fd, chunk, at: offset) }
        fsync(fd)
        let block = makePayload(size: 4096)
        let latency = LatencyRecorder()
        let slots = fileBytes / 4096
        let start = MonotonicClock.nanoseconds()
        for i in 0..<iterations {
            let t0 = MonotonicClock.nanoseconds()
            try Files.writeAll(fd, block, at: (i % slots) * 4096)
            guard fdatasync(fd) == 0 else { throw BenchError("fdatasync: \(String(cString: strerror(errno)))") }
            latency.record(nanoseconds: MonotonicClock.nanoseconds() - t0)
        }
        let seconds = Double(MonotonicClock.nanoseconds() - start) / 1e9
        report.add("fdatasync_4k_iterations", iterations)
        report.add("fdatasync_4k_p50_us", latency.microseconds(atPercentile: 50))
        report.add("fdatasync_4k_p99_us", latency.microseconds(atPercentile: 99))
        report.add("fdatasync_4k_p999_us", latency.microseconds(atPercentile: 99.9))
        report.add("fdatasync_4k_mean_us", latency.meanMicroseconds)
        report.add("fdatasync_4k_per_sec", Double(iterations) / seconds)
    }

    /// 1 MiB appends each followed by fdatasync; then a sequential read of a file dropped from
    /// the page cache (fdatasync + posix_fadvise(DONTNEED), checked with mincore), then the
    /// same read again warm, for comparison.
    private func sequential(path: String, report: inout Report) throws {
        let fd = try openFile(path)
        defer { close(fd) }
        let chunk = makePayload(size: 1 << 20)
        let start = MonotonicClock.nanoseconds()
        for i in 0..<writeMib {
            try Files.writeAll(fd, chunk, at: i << 20)
            guard fdatasync(fd) == 0 else { throw BenchError("fdatasync: \(String(cString: strerror(errno)))") }
        }
        let writeSeconds = Double(MonotonicClock.nanoseconds() - start) / 1e9
        report.add("seq_write_fdatasync_1m_mib", writeMib)
        report.add("seq_write_fdatasync_1m_mb_per_sec", Double(writeMib << 20) / 1e6 / writeSeconds)

        // Grow the file to readMib without per-write syncs, then one sync.
        for i in writeMib..<max(writeMib, readMib) { try Files.writeAll(fd, chunk, at: i << 20) }
        fsync(fd)
        let bytes = readMib << 20
        ftruncate(fd, off_t(bytes))
        fsync(fd)
        posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
        let (resident, pages) = Files.residentPages(fd: fd, size: bytes)
        let residentFraction = pages == 0 ? 0 : Double(resident) / Double(pages)
        let cold = try readSequentially(fd: fd, bytes: bytes)
        let warm = try readSequentially(fd: fd, bytes: bytes)
        report.add("seq_read_mib", readMib)
        report.add("seq_read_mb_per_sec", cold)
        report.add("seq_read_warm_mb_per_sec", warm)
        report.add("seq_read_resident_fraction_before", residentFraction)
        // Cold when the kernel really dropped the pages and the read was visibly slower than
        // from the cache (a VM's host cache can still make a "cold" read fast).
        report.add("seq_read_cold", residentFraction < 0.05 && cold < warm * 0.7)
    }

    private func readSequentially(fd: Int32, bytes: Int) throws -> Double {
        let size = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 4096)
        defer { buffer.deallocate() }
        let start = MonotonicClock.nanoseconds()
        var offset = 0
        while offset < bytes {
            let n = pread(fd, buffer, size, off_t(offset))
            guard n > 0 else { throw BenchError("pread: \(String(cString: strerror(errno)))") }
            offset += n
        }
        return Double(bytes) / 1e6 / (Double(MonotonicClock.nanoseconds() - start) / 1e9)
    }
}
