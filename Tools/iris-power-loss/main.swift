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
var totals = PowerLossSimulation.Outcome()
var run = 0
var violations = 0
for seed in first..<first + seeds {
    let outcome = await simulation.run(seed: seed)
    totals.add(outcome)
    run += 1
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
    print("power-loss: \(seeds) seeds, \(totals.powerLosses) power losses, \(totals.tornTails) torn tails cut, \(totals.acknowledged) acknowledged records all recovered (\(totals.blockingAppends) appends by appendBlocking threads), 0 violations, \(Int(Double(seeds) / seconds)) seeds/s")
}
if json { print(json(totals, seeds: run, violations: violations, seconds: seconds)) }
exit(violations == 0 ? 0 : 1)

/// The totals as one JSON object.
func json(_ totals: PowerLossSimulation.Outcome, seeds: Int, violations: Int, seconds: Double) -> String {
    let fields: [(String, String)] = [
        ("seeds", "\(seeds)"), ("violations", "\(violations)"), ("power_losses", "\(totals.powerLosses)"),
        ("truncations", "\(totals.truncations)"), ("retentions", "\(totals.retentions)"), ("torn_tails_cut", "\(totals.tornTails)"),
        ("crashes_in_truncation", "\(totals.crashesInTruncation)"), ("none_durability_lives", "\(totals.sequentialLives)"),
        ("acknowledged_records", "\(totals.acknowledged)"), ("blocking_appends", "\(totals.blockingAppends)"), ("durable_records_checked", "\(totals.durableChecked)"),
        ("seconds", "\((seconds * 1000).rounded() / 1000)"),
    ]
    return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
}
