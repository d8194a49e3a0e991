import Logging
import Synchronization

/// Collects log lines so tests can check what the edge logged.
final class LogRecorder: Sendable {
    private let lines = Mutex<[(level: Logger.Level, message: String)]>([])

    /// A logger at `.debug` that records into this recorder.
    var logger: Logger {
        var logger = Logger(label: "iris.mqtt-edge.test") { _ in RecordingLogHandler(recorder: self) }
        logger.logLevel = .debug
        return logger
    }

    func record(_ level: Logger.Level, _ message: String) {
        lines.withLock { $0.append((level, message)) }
    }

    /// Lines at `level` that contain `text`.
    func lines(_ level: Logger.Level, containing text: String) -> [String] {
        lines.withLock { $0.filter { $0.level == level && $0.message.contains(text) }.map(\.message) }
    }

    /// Lines at warning or above.
    var warnings: [String] { lines.withLock { $0.filter { $0.level >= .warning }.map(\.message) } }
}

/// A `LogHandler` that hands every line to a `LogRecorder`.
struct RecordingLogHandler: LogHandler {
    let recorder: LogRecorder
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        recorder.record(event.level, event.message.description)
    }
}
