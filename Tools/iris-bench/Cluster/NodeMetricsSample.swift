import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The Prometheus metrics of every node at one moment, summed per series name over label sets
/// and nodes (`iris_log_appended_records_total` is every partition log's record count on
/// every node).
struct NodeMetricsSample: Sendable {
    /// Series name to the sum of its values.
    var values: [String: Double] = [:]
    /// Series name to its largest single value (over nodes and label sets).
    var maxima: [String: Double] = [:]

    /// The sum of `name`, 0 when no node exported it.
    subscript(_ name: String) -> Double { values[name] ?? 0 }

    /// Scrapes `http://ADDRESS/metrics` of each address (2 s timeout each); a node that does not
    /// answer contributes nothing.
    static func scrape(_ addresses: [String]) async -> NodeMetricsSample {
        var sample = NodeMetricsSample()
        for address in addresses {
            guard let url = URL(string: "http://\(address)/metrics") else { continue }
            var request = URLRequest(url: url)
            request.timeoutInterval = 2
            guard let (data, _) = try? await URLSession.shared.data(for: request) else { continue }
            sample.add(prometheusText: String(decoding: data, as: UTF8.self))
        }
        return sample
    }

    /// Adds every `name{labels} value` or `name value` line of `text`.
    mutating func add(prometheusText text: String) {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            let series = line[..<space]
            let name = String(series[..<(series.firstIndex(of: "{") ?? series.endIndex)])
            values[name, default: 0] += value
            maxima[name] = max(maxima[name] ?? value, value)
        }
    }

    /// What happened between `earlier` and this sample, for the node counters the report uses.
    func delta(since earlier: NodeMetricsSample) -> NodeMetricsDelta {
        func change(_ name: String) -> Double { self[name] - earlier[name] }
        let commits = change("iris_commit_latency_seconds_count")
        let groups = change("iris_log_group_records_count")
        return NodeMetricsDelta(
            commits: commits,
            commitMeanMilliseconds: commits > 0 ? change("iris_commit_latency_seconds_sum") / commits * 1000 : nil,
            logAppendedRecords: change("iris_log_appended_records_total"),
            logWriteGroups: groups,
            recordsPerGroup: groups > 0 ? change("iris_log_group_records_sum") / groups : nil)
    }
}

/// Node counters over a measured window (all nodes together).
struct NodeMetricsDelta: Sendable, Codable {
    /// Client appends committed (counted by leaders).
    var commits: Double
    /// Mean time from an append reaching its partition to its commit.
    var commitMeanMilliseconds: Double?
    /// Records written to logs on every node (leaders' and followers' copies, markers included).
    var logAppendedRecords: Double
    /// Write groups of every log on every node.
    var logWriteGroups: Double
    /// Mean records per write group of the logs.
    var recordsPerGroup: Double?
    /// fsyncs per second by every node (perf stat of ext4:ext4_sync_file_enter over 80 % of the
    /// window); nil without perf or in the profiled run.
    var fdatasyncsPerSecond: Double?
    /// Threads of every node, mid-window.
    var nodeThreads: Int?
    /// Context switches of every node's threads over the window, per committed append.
    var contextSwitchesPerCommit: Double?
}
