import IrisLogSimulation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the power-loss simulation over many seeds:
/// `iris-power-loss [SEEDS] [FIRST_SEED] [--json] [--prepared-directory] [--trace]`.
/// Prints a summary line and exits 1 on the first broken promise, naming its seed. With
/// `--json`, the last line is one JSON object with the totals (also after a violation).
/// `--prepared-directory` creates the log directory durably before the first open; `--trace`
/// prints every operation, power loss and reopen (for replaying one seed).
let arguments = CommandLine.arguments.dropFirst()
let numbers = arguments.compactMap { UInt64($0) }
let json = arguments.contains("--json")
let printLine: @Sendable (String) -> Void = { line in print(line) }
let simulation = PowerLossSimulation(
    preparedDirectory: arguments.contains("--prepared-directory"), trace: arguments.contains("--trace") ? printLine : nil)
let seeds = numbers.first ?? 10_000
let first = numbers.dropFirst().first ?? 0
let clock = ContinuousClock()
let started = clock.now
var totals = Totals()
var violations = 0
for seed in first..<first + seeds {
    let outcome = await simulation.run(seed: seed)
    totals.add(outcome)
    if let violation = outcome.violation {
        print("VIOLATION: \(violation)")
        print("replay: iris-power-loss 1 \(seed)")
        violations = 1
        break
    }
}
let elapsed = clock.now - started
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
if violations == 0 {
    print("power-loss: \(seeds) seeds, \(totals.powerLosses) power losses, \(totals.tornTails) torn tails cut, \(totals.acknowledged) acknowledged records all recovered, 0 violations, \(Int(Double(seeds) / seconds)) seeds/s")
}
if json { print(totals.json(violations: violations, seconds: seconds)) }
exit(violations == 0 ? 0 : 1)

/// Sums of the seeds' outcomes.
struct Totals {
    var seeds = 0
    var acknowledged = 0
    var durableChecked = 0
    var powerLosses = 0
    var tornTails = 0
    var truncations = 0
    var retentions = 0
    var crashesInTruncation = 0
    var sequentialLives = 0

    mutating func add(_ outcome: PowerLossSimulation.Outcome) {
        seeds += 1
        acknowledged += outcome.acknowledged
        durableChecked += outcome.durableChecked
        powerLosses += outcome.powerLosses
        tornTails += outcome.tornTails
        truncations += outcome.truncations
        retentions += outcome.retentions
        crashesInTruncation += outcome.crashesInTruncation
        sequentialLives += outcome.sequentialLives
    }

    func json(violations: Int, seconds: Double) -> String {
        let fields: [(String, String)] = [
            ("seeds", "\(seeds)"), ("violations", "\(violations)"), ("power_losses", "\(powerLosses)"),
            ("truncations", "\(truncations)"), ("retentions", "\(retentions)"), ("torn_tails_cut", "\(tornTails)"),
            ("crashes_in_truncation", "\(crashesInTruncation)"), ("none_durability_lives", "\(sequentialLives)"),
            ("acknowledged_records", "\(acknowledged)"), ("durable_records_checked", "\(durableChecked)"),
            ("seconds", "\((seconds * 1000).rounded() / 1000)"),
        ]
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }
}
