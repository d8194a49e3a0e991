import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The disk's own bound for durable appends with a fixed number of records in flight: the
/// yardstick for `append --producers C` (issue 13 goals 2 and 3), where each of C producers has one
/// record outstanding.
///
/// No engine does better than this ideal one: the C records are split into `syncers` groups of
/// C / syncers records each, and every syncer thread, in a loop, appends its group as one pwrite at
/// the file's next offset and fdatasyncs the file. A record never waits for a group to form nor
/// for another group's sync; it waits exactly one write and one sync. By Little's law
/// `records_per_sec = C / mean latency`, so the figure is the most a C-producer workload can get
/// from this disk, and the group latency is the least its records can see. Records carry no frame
/// header or checksum, so the bound is a little optimistic for a real format.
///
/// The file is zeroed ahead and synced first (as the engine's zero-ahead does), and appends wrap
/// around within it: every write lands on allocated, written blocks, with no size change.
struct GroupSyncBound {
    let directory: String
    let recordBytes: Int
    let seconds: Double

    /// Bytes zeroed ahead; appends wrap around within them.
    static let fileBytes = 64 << 20

    /// Syncer counts tried for `inFlight` records: 1, 2, 4, 8 and 16, those that divide it.
    static func syncerCounts(inFlight: Int) -> [Int] {
        [1, 2, 4, 8, 16].filter { $0 <= inFlight && inFlight % $0 == 0 }
    }

    /// Measures every syncer count for each in-flight count and reports, per in-flight count C,
    /// the best (`inflight_C_records_per_sec`, its `_syncers`, `_p50_us`, `_p99_us`) and each
    /// syncer count's own rate (`inflight_C_sS_records_per_sec`).
    func measure(inFlight counts: [Int], into report: inout Report) throws {
        precondition(recordBytes > 0 && counts.allSatisfy { $0 > 0 })
        let path = "\(directory)/iris-bench-inflight-\(getpid())"
        defer { unlink(path) }
        let fd = try Files.zeroedFile(path, bytes: Self.fileBytes)
        defer { close(fd) }
        report.add("inflight_record_bytes", recordBytes)
        for inFlight in counts {
            var best: Figure?
            for syncers in Self.syncerCounts(inFlight: inFlight) {
                let figure = try run(fd: fd, inFlight: inFlight, syncers: syncers)
                report.add("inflight_\(inFlight)_s\(syncers)_records_per_sec", figure.recordsPerSecond)
                if best.map({ figure.recordsPerSecond > $0.recordsPerSecond }) ?? true { best = figure }
            }
            guard let best else { continue }
            report.add("inflight_\(inFlight)_records_per_sec", best.recordsPerSecond)
            report.add("inflight_\(inFlight)_syncers", best.syncers)
            report.add("inflight_\(inFlight)_p50_us", best.latency.microseconds(atPercentile: 50))
            report.add("inflight_\(inFlight)_p99_us", best.latency.microseconds(atPercentile: 99))
        }
    }

    private struct Figure {
        var syncers: Int
        var recordsPerSecond: Double
        var latency: LatencyRecorder
    }

    /// `syncers` threads, each appending a group of `inFlight / syncers` records and syncing it,
    /// until the deadline.
    private func run(fd: Int32, inFlight: Int, syncers: Int) throws -> Figure {
        let groupRecords = inFlight / syncers
        let group = makePayload(size: groupRecords * recordBytes)
        precondition(group.count <= Self.fileBytes)
        let file = SharedAppendOffset(fileBytes: Self.fileBytes)
        let latency = LatencyRecorder()
        let (groups, elapsed) = try ProducerThreads.run(count: syncers, seconds: seconds) { _, deadline in
            var count = 0
            while MonotonicClock.nanoseconds() < deadline {
                let t0 = MonotonicClock.nanoseconds()
                let offset = file.claim(group.count)
                try Files.writeAll(fd, group, at: offset)
                guard fdatasync(fd) == 0 else { throw BenchError("fdatasync: \(String(cString: strerror(errno)))") }
                latency.record(nanoseconds: MonotonicClock.nanoseconds() - t0)
                count += 1
            }
            return count
        }
        let perSecond = Double(groups * groupRecords) / (Double(elapsed) / 1e9)
        return Figure(syncers: syncers, recordsPerSecond: perSecond, latency: latency)
    }
}

/// The next append offset of one file shared by several threads, wrapping to 0 when an append
/// would pass `fileBytes`.
private final class SharedAppendOffset: Sendable {
    private let next = Mutex(0)
    private let fileBytes: Int

    init(fileBytes: Int) { self.fileBytes = fileBytes }

    /// The offset for an append of `bytes`, which then belongs to the caller.
    func claim(_ bytes: Int) -> Int {
        next.withLock { next in
            if next + bytes > fileBytes { next = 0 }
            defer { next += bytes }
            return next
        }
    }
}
