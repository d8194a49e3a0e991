import Foundation

/// Everything `iris-bench-cluster` measured, as its JSON last line.
struct ClusterBenchOutput: Codable {
    var schema = "iris-bench/1"
    var subcommand = "cluster"
    var timestamp: String
    var nproc: Int
    var recordBytes: Int
    var irisd: String
    var dir: String
    var perfData: String?
    var runs: [RunResult]
    /// Cluster p50 over single-node p50 at each client count measured both ways (the goal: ≤ 2 at 1 client).
    var clusterOverSingleP50: [String: Double]

    init(timestamp: String, nproc: Int, recordBytes: Int, irisd: String, dir: String, perfData: String?, runs: [RunResult]) {
        self.timestamp = timestamp
        self.nproc = nproc
        self.recordBytes = recordBytes
        self.irisd = irisd
        self.dir = dir
        self.perfData = perfData
        self.runs = runs
        var ratios: [String: Double] = [:]
        for single in runs where single.mode == "single" {
            if let cluster = runs.first(where: { $0.mode == "cluster" && $0.clients == single.clients }),
                let clusterP50 = cluster.p50Ms, let singleP50 = single.p50Ms, singleP50 > 0
            {
                ratios[String(single.clients)] = clusterP50 / singleP50
            }
        }
        clusterOverSingleP50 = ratios
    }

    /// One line per client count measured on both a cluster and a single node.
    var comparisonText: String {
        clusterOverSingleP50.sorted { Int($0.key) ?? 0 < Int($1.key) ?? 0 }
            .map { "clients=\($0.key): cluster p50 / single-node p50 = " + String(format: "%.2f", $0.value) }
            .joined(separator: "\n")
    }

    /// The whole output as one line of JSON, keys in snake case.
    func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
