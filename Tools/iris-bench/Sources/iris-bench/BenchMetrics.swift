import CoreMetrics
import Synchronization

/// A swift-metrics backend that captures the log's own group-commit instruments
/// (`iris_log_group_records`, `iris_log_group_bytes`, `iris_log_fdatasync_duration`), so an
/// iris run can report how many records each fdatasync carried and how long the syncs took.
/// Everything else is dropped.
final class GroupCommitStats: Sendable {
    static let shared = GroupCommitStats()

    private let totals = Mutex<(groups: Int, records: Int, bytes: Int)>((0, 0, 0))
    let syncLatency = LatencyRecorder()

    func groupRecords(_ value: Int64) { totals.withLock { $0.groups += 1; $0.records += Int(value) } }
    func groupBytes(_ value: Int64) { totals.withLock { $0.bytes += Int(value) } }
    var snapshot: (groups: Int, records: Int, bytes: Int) { totals.withLock { $0 } }

    private static let bootstrapped = Mutex(false)

    /// Installs the backend once per process (swift-metrics allows one bootstrap).
    static func bootstrap() {
        let first = bootstrapped.withLock { done in
            defer { done = true }
            return !done
        }
        if first { MetricsSystem.bootstrap(Factory()) }
    }

    private struct Factory: MetricsFactory {
        func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { Ignored() }
        func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
            switch label {
            case "iris_log_group_records": return Recorded { GroupCommitStats.shared.groupRecords($0) }
            case "iris_log_group_bytes": return Recorded { GroupCommitStats.shared.groupBytes($0) }
            default: return Ignored()
            }
        }
        func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
            label == "iris_log_fdatasync_duration" ? SyncTimer() : Ignored()
        }
        func destroyCounter(_ handler: any CounterHandler) {}
        func destroyRecorder(_ handler: any RecorderHandler) {}
        func destroyTimer(_ handler: any TimerHandler) {}
    }

    private final class Ignored: CounterHandler, RecorderHandler, TimerHandler {
        func increment(by: Int64) {}
        func reset() {}
        func record(_ value: Int64) {}
        func record(_ value: Double) {}
        func recordNanoseconds(_ duration: Int64) {}
    }

    private final class Recorded: RecorderHandler {
        let sink: @Sendable (Int64) -> Void
        init(_ sink: @escaping @Sendable (Int64) -> Void) { self.sink = sink }
        func record(_ value: Int64) { sink(value) }
        func record(_ value: Double) { sink(Int64(value)) }
    }

    private final class SyncTimer: TimerHandler {
        func recordNanoseconds(_ duration: Int64) {
            GroupCommitStats.shared.syncLatency.record(nanoseconds: UInt64(max(duration, 1)))
        }
    }
}
