import Foundation
import IrisLog
import Testing

/// Runs the built `iris-log` binary (and the Python SPEC reader) as subprocesses.
enum CLI {
    struct Result {
        var code: Int32
        var stdout: String
        var stderr: String
        var exitedNormally: Bool

        var stdoutLines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
        var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
        /// stdout parsed as JSON lines.
        var jsonLines: [[String: Any]] {
            stdoutLines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `iris-log` binary: $IRIS_LOG_BINARY, else next to the test executable, else
    /// `.build/debug/iris-log` in the package.
    static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["IRIS_LOG_BINARY"] { return path }
        var candidates: [String] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("iris-log").path)
        }
        for bundle in Bundle.allBundles {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("iris-log").path)
        }
        candidates.append(packageRoot.appendingPathComponent(".build/debug/iris-log").path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates.last!
    }()

    static func requireBinary() throws {
        try #require(FileManager.default.isExecutableFile(atPath: binary),
                     "iris-log is not built at \(binary): run `swift build` (or set IRIS_LOG_BINARY)")
    }

    /// Runs `iris-log arguments...` with `stdin` and waits (at most `timeout` seconds).
    static func run(_ arguments: [String], stdin: Data = Data(), stdout: FileHandle? = nil, timeout: Double = 60, mayRunOn: Bool = false) throws -> Result {
        try requireBinary()
        return try runProcess(binary, arguments, stdin: stdin, stdout: stdout, timeout: timeout, mayRunOn: mayRunOn)
    }

    /// Runs a process; one still running after `timeout` is terminated (an issue unless `mayRunOn`).
    /// Its stdout goes to `stdout` when given (the result's `stdout` is then empty).
    static func runProcess(_ executable: String, _ arguments: [String], stdin: Data = Data(), stdout: FileHandle? = nil,
                           timeout: Double = 60, mayRunOn: Bool = false) throws -> Result {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("iris-cli-io-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let inPath = scratch.appendingPathComponent("in").path
        let outPath = scratch.appendingPathComponent("out").path
        let errPath = scratch.appendingPathComponent("err").path
        _ = FileManager.default.createFile(atPath: inPath, contents: stdin)
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle(forReadingAtPath: inPath)
        process.standardOutput = stdout ?? FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            if !mayRunOn { Issue.record("\(executable) \(arguments) did not finish within \(timeout) s") }
        }
        process.waitUntilExit()
        let out = (try? Data(contentsOf: URL(fileURLWithPath: outPath))) ?? Data()
        let err = (try? Data(contentsOf: URL(fileURLWithPath: errPath))) ?? Data()
        return Result(code: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                      stderr: String(decoding: err, as: UTF8.self), exitedNormally: process.terminationReason == .exit)
    }
}

/// A fresh temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String
    init(_ name: String = "log") {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("iris-cli-\(name)-\(UUID().uuidString)").path
    }
    func file(_ name: String) -> String { path + "/" + name }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

enum LogFiles {
    static func segmentName(_ base: UInt64) -> String { String(format: "%020llu.log", base) }
    static func indexName(_ base: UInt64) -> String { String(format: "%020llu.index", base) }

    static func segments(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.count == 24 && $0.hasSuffix(".log") }.sorted()
    }

    static func read(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }
    static func write(_ path: String, _ bytes: [UInt8]) throws { try Data(bytes).write(to: URL(fileURLWithPath: path)) }

    /// Positions of the frames of a segment file, by walking the length fields (SPEC.md §2.2).
    static func frameStarts(_ bytes: [UInt8]) -> [Int] {
        var starts: [Int] = []
        var position = 0
        while position + 8 <= bytes.count {
            let length = Int(bytes[position]) | Int(bytes[position + 1]) << 8 | Int(bytes[position + 2]) << 16 | Int(bytes[position + 3]) << 24
            if length == 0 { break }
            starts.append(position)
            position += (length + 7) & ~7
        }
        return starts
    }

    /// Flips one byte of a file.
    static func flip(_ path: String, at position: Int) throws {
        var bytes = try read(path)
        bytes[position] ^= 0x5A
        try write(path, bytes)
    }
}

/// Logs written with the library, as an embedding application would.
enum LibraryLog {
    static func configuration(compression: Codec = .none) -> LogConfiguration {
        var configuration = LogConfiguration()
        configuration.segmentSizeBytes = 64 << 10
        configuration.batchBytesMax = 16 << 10
        configuration.recordBytesMax = 8 << 10
        configuration.ioBackend = .posix
        configuration.compression = compression
        return configuration
    }

    static func write(_ directory: String, batches: [[Record]], compression: Codec = .none) async throws {
        let log = try Log.open(directory: directory, configuration: configuration(compression: compression))
        do {
            for batch in batches { _ = try await log.append(contentsOf: batch) }
        } catch {
            await log.close()
            throw error
        }
        await log.close()
    }

    /// `count` records of `size` bytes in batches of `batch`, spreading over several 64 KiB segments.
    static func plainRecords(count: Int, size: Int, batch: Int = 4) -> [[Record]] {
        stride(from: 0, to: count, by: batch).map { start in
            (start..<min(start + batch, count)).map { index in
                Record(value: Array("record \(index) ".utf8) + [UInt8](repeating: UInt8(ascii: "a") + UInt8(index % 26), count: max(0, size - 12)),
                       timestampMicroseconds: 1_700_000_000_000_000 + Int64(index))
            }
        }
    }

    /// A mix of records: keys (UTF-8 and binary), headers, empty values, non-UTF-8 values.
    static func mixedRecords(count: Int) -> [[Record]] {
        var batches: [[Record]] = []
        var index = 0
        while index < count {
            var batch: [Record] = []
            for _ in 0..<(1 + index % 5) where index < count {
                let value: [UInt8]
                switch index % 6 {
                case 0: value = []
                case 1: value = Array("héllo wörld \(index) ✓".utf8)
                case 2: value = [0xFF, 0xFE, 0x00, UInt8(index % 256), 0xC3]
                case 3: value = (0..<(200 + index % 300)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
                case 4: value = Array(String(repeating: "line \(index)\n", count: 20).utf8)
                default: value = Array("\"quoted\" \\ tab\t and \u{1}".utf8)
                }
                let key: [UInt8]? = switch index % 4 {
                case 0: nil
                case 1: Array("key-\(index)".utf8)
                case 2: [0x80, 0x81, UInt8(index % 256)]
                default: []
                }
                let headers: [RecordHeader] = index % 3 == 0
                    ? [RecordHeader(name: "trace", value: Array("t\(index)".utf8)), RecordHeader(name: "bin", value: [0xFF, 0x00])]
                    : []
                batch.append(Record(value: value, key: key, headers: headers,
                                    timestampMicroseconds: index % 7 == 0 ? nil : 1_700_000_000_000_000 + Int64(index * 1000) - Int64(index % 3)))
                index += 1
            }
            batches.append(batch)
        }
        return batches
    }
}
