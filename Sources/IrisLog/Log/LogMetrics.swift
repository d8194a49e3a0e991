import Metrics

/// The log's swift-metrics instruments, labelled with its directory.
struct LogMetrics: Sendable {
    let appends: Counter
    let appendedBytes: Counter
    let groupRecords: Recorder
    let groupBytes: Recorder
    let syncDuration: Timer
    let failures: Counter

    init(directory: String) {
        let dimensions = [("log", directory)]
        appends = Counter(label: "iris_log_appended_records_total", dimensions: dimensions)
        appendedBytes = Counter(label: "iris_log_appended_bytes_total", dimensions: dimensions)
        groupRecords = Recorder(label: "iris_log_group_records", dimensions: dimensions)
        groupBytes = Recorder(label: "iris_log_group_bytes", dimensions: dimensions)
        syncDuration = Timer(label: "iris_log_fdatasync_duration", dimensions: dimensions)
        failures = Counter(label: "iris_log_write_failures_total", dimensions: dimensions)
    }
}
