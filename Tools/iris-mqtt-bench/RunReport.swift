import Foundation

/// The figures of one run, printed as text and, with `--json`, as one JSON object on the last line.
struct RunReport {
    /// Parameters and counters, in print order.
    var fields: [(String, Any)] = []

    /// Adds one field.
    mutating func add(_ name: String, _ value: Any) { fields.append((name, value)) }

    /// Adds p50/p99/p99.9/max of `histogram` under `prefix`.
    mutating func add(_ prefix: String, _ histogram: LatencyHistogram) {
        add("\(prefix)_count", histogram.totalCount)
        add("\(prefix)_p50_us", histogram.value(atQuantile: 0.5))
        add("\(prefix)_p99_us", histogram.value(atQuantile: 0.99))
        add("\(prefix)_p999_us", histogram.value(atQuantile: 0.999))
        add("\(prefix)_max_us", histogram.maxValue)
    }

    /// Prints `name: value` lines, then the JSON object when `json` is set.
    func print(json: Bool) throws {
        for (name, value) in fields { Swift.print("\(name): \(value)") }
        guard json else { return }
        var object: [String: Any] = [:]
        for (name, value) in fields { object[name] = value }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        Swift.print(String(decoding: data, as: UTF8.self))
    }
}
