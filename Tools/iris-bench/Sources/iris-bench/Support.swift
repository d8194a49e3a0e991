import Foundation
import Histogram
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Time

enum MonotonicClock {
    /// CLOCK_MONOTONIC in nanoseconds: cheap (vDSO), never goes back.
    @inline(__always)
    static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}

// MARK: - Latency

/// One HDR histogram of latencies in nanoseconds (1 ns .. 1 h, 3 significant digits), shared by
/// every producer behind a mutex. The lock is taken once per call, after the measured interval,
/// so it costs ~50 ns against calls that wait for an fdatasync (tens of µs at least), and one
/// histogram keeps memory (and so `peak_rss_mb`) independent of the producer count.
final class LatencyRecorder: Sendable {
    private let histogram = Mutex(Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three))

    func record(nanoseconds: UInt64) {
        let value = min(max(nanoseconds, 1), 3_600_000_000_000)
        histogram.withLock { _ = $0.record(value) }
    }

    /// Percentile (0...100) in microseconds.
    func microseconds(atPercentile percentile: Double) -> Double {
        histogram.withLock { $0.totalCount == 0 ? .nan : Double($0.valueAtPercentile(percentile)) / 1000 }
    }

    var count: UInt64 { histogram.withLock { $0.totalCount } }
    var meanMicroseconds: Double { histogram.withLock { $0.totalCount == 0 ? .nan : $0.mean / 1000 } }
    var maxMicroseconds: Double { histogram.withLock { $0.totalCount == 0 ? .nan : Double($0.max) / 1000 } }
}

// MARK: - Resource usage

struct ResourceUsage {
    /// User + system CPU seconds of this process so far.
    var cpuSeconds: Double
    /// Peak resident set of this process so far, MiB (ru_maxrss is KiB on Linux).
    var peakRSSMiB: Double

    static func now() -> ResourceUsage {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return ResourceUsage(cpuSeconds: user + system, peakRSSMiB: Double(usage.ru_maxrss) / 1024)
    }

    /// Resident memory of this process now, bytes (`VmRSS:` of /proc/self/status): what opening
    /// something costs, measured as a difference. -1 where unreadable.
    static func residentBytes() -> Int {
        statusField("VmRSS:").map { $0 * 1024 } ?? -1
    }

    /// OS threads of this process now (`Threads:` of /proc/self/status); -1 where unreadable.
    static func threadCount() -> Int {
        statusField("Threads:") ?? -1
    }

    /// The number at the start of a /proc/self/status field (kB for sizes).
    private static func statusField(_ name: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name) })
        else { return nil }
        return line.dropFirst(name.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) }
    }
}

// MARK: - Report

enum JSONValue {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)

    var json: String {
        switch self {
        case .string(let s): return JSONValue.quote(s)
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        case .double(let d):
            guard d.isFinite else { return "null" }
            if d == d.rounded() && abs(d) < 1e15 { return String(Int(d)) }
            return String(format: "%.3f", d)
        }
    }

    var human: String {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        case .double(let d):
            guard d.isFinite else { return "-" }
            if abs(d) >= 1000 { return String(format: "%.0f", d) }
            if abs(d) >= 10 { return String(format: "%.1f", d) }
            return String(format: "%.3f", d)
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}

/// Ordered key/value results: printed as a two-column table, and with `--json` also as one
/// JSON object on the last line of standard output.
struct Report {
    let title: String
    private(set) var fields: [(String, JSONValue)] = []

    init(_ title: String) { self.title = title }

    mutating func add(_ key: String, _ value: String) { fields.append((key, .string(value))) }
    mutating func add(_ key: String, _ value: Int) { fields.append((key, .int(value))) }
    mutating func add(_ key: String, _ value: Double) { fields.append((key, .double(value))) }
    mutating func add(_ key: String, _ value: Bool) { fields.append((key, .bool(value))) }
    mutating func add(_ key: String, value: JSONValue) { fields.append((key, value)) }

    func emit(json: Bool) {
        let width = fields.map(\.0.count).max() ?? 0
        print("== \(title) ==")
        for (key, value) in fields {
            print(key.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value.human)
        }
        if json {
            print("{" + fields.map { JSONValue.quote($0.0) + ":" + $0.1.json }.joined(separator: ",") + "}")
        }
        fflush(nil)
    }
}

/// Common identification fields at the head of every JSON object.
func baseReport(_ subcommand: String, title: String) -> Report {
    var report = Report(title)
    report.add("schema", "iris-bench/1")
    report.add("subcommand", subcommand)
    report.add("timestamp", ISO8601DateFormatter().string(from: Date()))
    var name = [CChar](repeating: 0, count: 256)
    gethostname(&name, name.count - 1)
    report.add("host", String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    report.add("nproc", Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    return report
}

// MARK: - Files

enum Files {
    static func makeDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Removes `path` and everything under it, when it exists.
    static func remove(_ path: String) {
        if FileManager.default.fileExists(atPath: path) { try? FileManager.default.removeItem(atPath: path) }
    }

    static func list(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    /// pwrite of all of `bytes` at `offset`; throws naming the call's error.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int) throws {
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
        guard written == bytes.count else { throw BenchError("pwrite: \(String(cString: strerror(errno)))") }
    }

    /// Creates (or truncates) `path`, writes `bytes` zero bytes and fsyncs them, and returns the
    /// open descriptor: a file whose blocks are allocated and written, as the engine's zero-ahead
    /// leaves a segment, so later writes inside it change neither extents nor size.
    static func zeroedFile(_ path: String, bytes: Int) throws -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw BenchError("open \(path): \(String(cString: strerror(errno)))") }
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        for offset in stride(from: 0, to: bytes, by: zeros.count) {
            try writeAll(fd, Array(zeros.prefix(bytes - offset)), at: offset)
        }
        guard fsync(fd) == 0 else {
            close(fd)
            throw BenchError("fsync \(path): \(String(cString: strerror(errno)))")
        }
        return fd
    }

    static func size(_ path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : 0
    }

    /// Asks the kernel to drop the page cache of every regular file in `directory` (after an
    /// fdatasync, so dirty pages can be dropped too). Returns the fraction of pages still resident
    /// afterwards (mincore), 0 when nothing was there.
    @discardableResult
    static func dropPageCache(directory: String) -> Double {
        var resident = 0, total = 0
        for name in list(directory) {
            let (r, t) = dropPageCache(file: directory + "/" + name)
            resident += r
            total += t
        }
        return total == 0 ? 0 : Double(resident) / Double(total)
    }

    /// fdatasync + posix_fadvise(DONTNEED); returns (resident pages after, pages).
    static func dropPageCache(file: String) -> (Int, Int) {
        let fd = open(file, O_RDONLY)
        guard fd >= 0 else { return (0, 0) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return (0, 0) }
        fdatasync(fd)
        posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
        return residentPages(fd: fd, size: Int(st.st_size))
    }

    /// Drops the regular files of `directory` from the page cache, then reads those whose name
    /// ends in `suffix` through once, in name order, with 1 MiB preads into one buffer, stopping
    /// after `limit` bytes in all: what the disk gives a reader of exactly those bytes, at their
    /// age. Returns (bytes read, seconds, resident fraction after the drop).
    static func readColdSequentially(
        directory: String, suffix: String = "", limit: Int = .max
    ) throws -> (bytes: Int, seconds: Double, resident: Double) {
        let resident = dropPageCache(directory: directory)
        let size = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 4096)
        defer { buffer.deallocate() }
        var total = 0
        let start = MonotonicClock.nanoseconds()
        for name in list(directory).sorted() where name.hasSuffix(suffix) && total < limit {
            let fd = open(directory + "/" + name, O_RDONLY)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var offset = 0
            while total + offset < limit {
                let n = pread(fd, buffer, min(size, limit - total - offset), off_t(offset))
                guard n >= 0 else { throw BenchError("pread \(name): \(String(cString: strerror(errno)))") }
                if n == 0 { break }
                offset += n
            }
            total += offset
        }
        return (total, Double(MonotonicClock.nanoseconds() - start) / 1e9, resident)
    }

    /// (resident pages, total pages) of an open file, by mmap + mincore.
    static func residentPages(fd: Int32, size: Int) -> (Int, Int) {
        guard size > 0 else { return (0, 0) }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let pages = (size + page - 1) / page
        guard let map = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), map != MAP_FAILED else { return (0, pages) }
        defer { munmap(map, size) }
        var vector = [UInt8](repeating: 0, count: pages)
        guard mincore(map, size, &vector) == 0 else { return (0, pages) }
        return (vector.reduce(0) { $0 + Int($1 & 1) }, pages)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The bytes every record carries: half random, half zeros (compresses about 2:1 with zstd),
/// the same for every engine.
func makePayload(size: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<size).map { $0 < size / 2 ? UInt8.random(in: 0...255, using: &generator) : 0 }
}

/// A non-Sendable C handle passed to producer threads that use it as its library allows
/// (RocksDB's DB handle is thread-safe; each SQLite connection stays on one thread).
struct UnsafeSendableBox<T>: @unchecked Sendable {
    let value: T
}
