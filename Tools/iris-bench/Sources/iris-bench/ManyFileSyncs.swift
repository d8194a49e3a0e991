import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The disk's own figure for many logs: how many small synced appends per second it takes when
/// they go to `files` different files, the yardstick for `append --logs N` (issue 13 goal 1).
///
/// Each file is zeroed ahead and synced first (as the engine's segments are), then receives 4 KiB
/// appends at increasing offsets (wrapping around within the zeroed part). Two ways to make them durable are timed:
/// - **fdatasync per file**: `threads` threads (the engine's sync pool holds at most 16), each
///   owning the files `i` with `i % threads == t`, in turn: pwrite one block, fdatasync. This is
///   what the engine does for many logs, with every sync overlapped with the others.
/// - **one syncfs per round**: one block to every file, then a single `syncfs` for all of them
///   (a shared device flush: one journal commit and cache flush for every file).
///
/// A log whose producers each have one append outstanding carries at most `producers / logs`
/// records per sync, so `append --logs N --producers P` can not pass
/// `P / N × files_fdatasync_per_sec` records per second (or `P × files_syncfs_rounds_per_sec`
/// with one shared flush per round).
struct ManyFileSyncs {
    let directory: String
    let files: Int
    let threads: Int
    let seconds: Double

    static let blockBytes = 4096
    /// Bytes zeroed ahead in each file. Appends wrap around to its start: every write lands on
    /// allocated, written blocks, so neither figure includes allocation or a size change.
    static let fileBytes = 16 << 20

    static func nextOffset(after offset: Int) -> Int {
        let next = offset + blockBytes
        return next + blockBytes > fileBytes ? 0 : next
    }

    func measure(into report: inout Report) throws {
        precondition(files > 0 && threads > 0)
        let paths = (0..<files).map { "\(directory)/iris-bench-files-\(getpid())-\($0)" }
        defer { for path in paths { unlink(path) } }
        var descriptors: [Int32] = []
        defer { for fd in descriptors { close(fd) } }
        for path in paths { descriptors.append(try Files.zeroedFile(path, bytes: Self.fileBytes)) }
        let block = makePayload(size: Self.blockBytes)
        report.add("files", files)
        report.add("files_threads", threads)

        let perFile = try fdatasyncPerFile(descriptors, block: block)
        report.add("files_fdatasync_per_sec", perFile.perSecond)
        report.add("files_fdatasync_p50_us", perFile.latency.microseconds(atPercentile: 50))
        report.add("files_fdatasync_p99_us", perFile.latency.microseconds(atPercentile: 99))

        let shared = try syncfsRounds(descriptors, block: block)
        report.add("files_syncfs_rounds_per_sec", shared.perSecond)
        report.add("files_syncfs_files_per_sec", shared.perSecond * Double(files))
        report.add("files_syncfs_p50_us", shared.latency.microseconds(atPercentile: 50))
        report.add("files_syncfs_p99_us", shared.latency.microseconds(atPercentile: 99))
    }

    /// `syncfs(2)`, looked up at run time: Glibc's Swift module only declares it under `_GNU_SOURCE`.
    private static let syncfs: @convention(c) (Int32) -> Int32 = {
        guard let symbol = dlsym(nil, "syncfs") else { fatalError("syncfs(2) is missing from this C library") }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
    }()

    private struct Figure {
        var perSecond: Double
        var latency: LatencyRecorder
    }

    /// `threads` threads, each writing and fdatasyncing its files in turn until the deadline.
    private func fdatasyncPerFile(_ descriptors: [Int32], block: [UInt8]) throws -> Figure {
        let latency = LatencyRecorder()
        let (syncs, elapsed) = try ProducerThreads.run(count: threads, seconds: seconds) { thread, deadline in
            let mine = stride(from: thread, to: descriptors.count, by: threads).map { descriptors[$0] }
            guard !mine.isEmpty else { return 0 }
            var offset = 0
            var count = 0
            while MonotonicClock.nanoseconds() < deadline {
                for fd in mine {
                    let t0 = MonotonicClock.nanoseconds()
                    try Files.writeAll(fd, block, at: offset)
                    guard fdatasync(fd) == 0 else { throw BenchError("fdatasync: \(String(cString: strerror(errno)))") }
                    latency.record(nanoseconds: MonotonicClock.nanoseconds() - t0)
                    count += 1
                }
                offset = Self.nextOffset(after: offset)
            }
            return count
        }
        return Figure(perSecond: Double(syncs) / (Double(elapsed) / 1e9), latency: latency)
    }

    /// Rounds of one block to every file and one syncfs, from one thread, until the deadline.
    private func syncfsRounds(_ descriptors: [Int32], block: [UInt8]) throws -> Figure {
        let latency = LatencyRecorder()
        let start = MonotonicClock.nanoseconds()
        let deadline = start + UInt64(seconds * 1e9)
        var offset = 0
        var rounds = 0
        while MonotonicClock.nanoseconds() < deadline {
            let t0 = MonotonicClock.nanoseconds()
            for fd in descriptors {
                try Files.writeAll(fd, block, at: offset)
            }
            guard Self.syncfs(descriptors[0]) == 0 else { throw BenchError("syncfs: \(String(cString: strerror(errno)))") }
            latency.record(nanoseconds: MonotonicClock.nanoseconds() - t0)
            rounds += 1
            offset = Self.nextOffset(after: offset)
        }
        let elapsed = Double(MonotonicClock.nanoseconds() - start) / 1e9
        return Figure(perSecond: Double(rounds) / elapsed, latency: latency)
    }
}
