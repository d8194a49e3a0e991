import IrisLog
import IrisReplication

/// Runs many seeds and aggregates the results.
public enum SeedSweep {
    /// Summary of a range of seeds.
    public struct Summary: Sendable {
        /// Seeds run.
        public var seedsRun = 0
        /// Failing runs (with their seed and trace).
        public var failures: [SimulationResult] = []
        /// The statistics of every run, summed.
        public var statistics = SimulationStatistics()

        /// The summary of no runs.
        public init() {}

        /// Counts one run: its statistics, and the run itself when it found a violation.
        public mutating func add(_ result: SimulationResult) {
            seedsRun += 1
            statistics.add(result.statistics)
            if result.violation != nil { failures.append(result) }
        }

        /// Adds another summary's runs (failures are appended, not re-sorted).
        public mutating func merge(_ other: Summary) {
            seedsRun += other.seedsRun
            failures.append(contentsOf: other.failures)
            statistics.add(other.statistics)
        }
    }

    /// Runs `template` with `seed`. Traps when the template's configuration is invalid.
    public static func runOne(_ template: SimulationOptions, seed: UInt64) async -> SimulationResult {
        var options = template
        options.seed = seed
        do {
            return try await Simulation(options: options).run()
        } catch {
            preconditionFailure("simulator configuration invalid: \(error)")
        }
    }

    /// Runs `seeds` in order; stops after the first failure if asked.
    public static func run(
        _ template: SimulationOptions, seeds: Range<UInt64>, stopAtFirstFailure: Bool = false
    ) async -> Summary {
        var summary = Summary()
        for seed in seeds {
            summary.add(await runOne(template, seed: seed))
            if stopAtFirstFailure && !summary.failures.isEmpty { break }
        }
        return summary
    }

    /// Runs `seeds` on `workers` concurrent tasks (results are per seed, so the
    /// outcome does not depend on scheduling).
    public static func runConcurrently(
        _ template: SimulationOptions, seeds: Range<UInt64>, workers: Int
    ) async -> Summary {
        let workerCount = max(1, workers)
        return await withTaskGroup(of: Summary.self) { group in
            for worker in 0..<workerCount {
                group.addTask { @Sendable () -> Summary in
                    var summary = Summary()
                    var seed = seeds.lowerBound + UInt64(worker)
                    while seed < seeds.upperBound {
                        summary.add(await runOne(template, seed: seed))
                        seed += UInt64(workerCount)
                    }
                    return summary
                }
            }
            var total = Summary()
            for await part in group { total.merge(part) }
            total.failures.sort { $0.seed < $1.seed }
            return total
        }
    }
}
