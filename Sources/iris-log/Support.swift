import Foundation
import IrisLog
import IrisLogInspection
#if canImport(Glibc)
import Glibc
#endif

/// A failure that ends the tool: one line on stderr and an exit code (1 damaged data,
/// 2 usage or I/O).
struct ToolFailure: Error {
    var code: Int32
    var message: String

    static func usage(_ message: String) -> ToolFailure { ToolFailure(code: 2, message: message) }
    static func io(_ message: String) -> ToolFailure { ToolFailure(code: 2, message: message) }
    static func corrupt(_ message: String) -> ToolFailure { ToolFailure(code: 1, message: message) }

    init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }

    init(_ error: InspectionError) {
        self.init(code: error.exitCode, message: error.description)
    }

    init(_ error: LogError) {
        switch error {
        case .corruptFrame, .corruptLog: self.init(code: 1, message: error.description)
        default: self.init(code: 2, message: error.description)
        }
    }
}

/// Unbuffered writes to stdout and stderr: what is written is flushed.
enum Output {
    /// Writes all of `text` to stdout; throws (exit 2) when that fails. A reader that went
    /// away (`dump | head`) ends the tool quietly with status 0, unless `ackRequired`
    /// (append: the offsets printed are acknowledgements, so losing them is an error).
    static func out(_ text: String, ackRequired: Bool = false) throws(ToolFailure) {
        var text = text
        let failure: ToolFailure? = text.withUTF8 { utf8 in
            do throws(ToolFailure) {
                try out(UnsafeRawBufferPointer(utf8), ackRequired: ackRequired)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    /// Writes all of `bytes` to stdout, as `out(_:ackRequired:)` does a string.
    static func out(_ bytes: UnsafeRawBufferPointer, ackRequired: Bool = false) throws(ToolFailure) {
        guard writeAll(1, bytes) else { throw stdoutFailure(errno, ackRequired: ackRequired) }
    }

    /// The failure of a write to stdout that failed with `error` (an errno): exit 2 with the
    /// reason; a reader that went away (EPIPE) ends the tool here, quietly with status 0,
    /// unless `ackRequired`.
    static func stdoutFailure(_ error: Int32, ackRequired: Bool = false) -> ToolFailure {
        if error == EPIPE && !ackRequired { exit(0) }
        return ToolFailure(code: 2, message: "writing to stdout failed: \(String(cString: strerror(error)))")
    }

    /// One line on stderr, prefixed with the tool's name.
    static func error(_ line: String) {
        _ = writeAll(2, Array("iris-log: \(line)\n".utf8))
    }

    static func stderrRaw(_ text: String) {
        _ = writeAll(2, Array(text.utf8))
    }

    /// Writes all of `bytes`; false (errno set) when the write failed.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { writeAll(fd, $0) }
    }

    /// Writes all of `bytes`; false (errno set) when the write failed.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !bytes.isEmpty else { return true }
        do throws(StorageError) {
            try Syscall.writeFully(fd, bytes, at: nil, path: fd == 1 ? "stdout" : "stderr")
            return true
        } catch {
            errno = error.errno
            return false
        }
    }
}

/// A progress bar on stderr, drawn only when stderr is a terminal.
final class ProgressBar {
    private let label: String
    private let enabled: Bool
    private var lastPercent = -1
    private var drawn = false

    init(_ label: String) {
        self.label = label
        enabled = isatty(2) == 1
    }

    func update(_ done: Int, _ total: Int) {
        guard enabled, total > 0 else { return }
        let percent = min(100, done * 100 / total)
        guard percent != lastPercent else { return }
        lastPercent = percent
        let width = 30
        let filled = percent * width / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        Output.stderrRaw("\r\(label) [\(bar)] \(percent)% (\(formatBytes(done)) of \(formatBytes(total)))")
        drawn = true
    }

    func finish() {
        if drawn { Output.stderrRaw("\r\u{1B}[K") }
        drawn = false
    }

    var callback: (Int, Int) -> Void { { [self] done, total in update(done, total) } }

    /// Runs `work` with this bar's callback and clears the bar when the work ends, however.
    func showing<T>(_ work: (_ progress: @escaping (Int, Int) -> Void) throws -> T) rethrows -> T {
        defer { finish() }
        return try work(callback)
    }

    /// Runs `work` with this bar's callback and clears the bar when the work ends, however.
    func showing<T>(_ work: (_ progress: @escaping (Int, Int) -> Void) async throws -> T) async rethrows -> T {
        defer { finish() }
        return try await work(callback)
    }
}

func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}

/// Microseconds since the epoch as an ISO 8601 UTC time with microseconds.
func formatTimestamp(_ microseconds: Int64) -> String {
    var seconds = microseconds / 1_000_000
    var fraction = microseconds % 1_000_000
    if fraction < 0 { fraction += 1_000_000; seconds -= 1 }
    var time = time_t(seconds)
    var parts = tm()
    guard gmtime_r(&time, &parts) != nil else { return "\(microseconds)us" }
    return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                  Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(fraction))
}

/// A JSON value written with keys in the given order (one object per output line).
indirect enum JSON {
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case bool(Bool)
    case null
    case array([JSON])
    case object([(String, JSON)])

    static func int(_ value: Int) -> JSON { .int(Int64(value)) }

    var text: String {
        var output = ""
        write(into: &output)
        return output
    }

    func write(into output: inout String) {
        switch self {
        case .int(let value): output += String(value)
        case .uint(let value): output += String(value)
        case .double(let value): output += value.isFinite ? String(format: "%.4f", value) : "null"
        case .string(let value): JSON.quote(value, into: &output)
        case .bool(let value): output += value ? "true" : "false"
        case .null: output += "null"
        case .array(let values):
            output += "["
            for (number, value) in values.enumerated() {
                if number > 0 { output += "," }
                value.write(into: &output)
            }
            output += "]"
        case .object(let pairs):
            output += "{"
            for (number, (key, value)) in pairs.enumerated() {
                if number > 0 { output += "," }
                JSON.quote(key, into: &output)
                output += ":"
                value.write(into: &output)
            }
            output += "}"
        }
    }

    static func quote(_ string: String, into output: inout String) {
        output += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                output += String(format: "\\u%04x", scalar.value)
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}

/// Left-aligned first column, right-aligned others.
func table(_ rows: [[String]], rightAligned: Set<Int> = []) -> String {
    guard let columns = rows.map(\.count).max() else { return "" }
    var widths = [Int](repeating: 0, count: columns)
    for row in rows { for (column, cell) in row.enumerated() { widths[column] = Swift.max(widths[column], cell.count) } }
    return rows.map { row in
        row.enumerated().map { column, cell in
            let pad = String(repeating: " ", count: widths[column] - cell.count)
            return rightAligned.contains(column) ? pad + cell : (column == row.count - 1 ? cell : cell + pad)
        }.joined(separator: "  ")
    }.joined(separator: "\n") + "\n"
}
