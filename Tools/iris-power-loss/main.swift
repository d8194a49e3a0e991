import IrisLogSimulation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the power-loss simulation over many seeds: `iris-power-loss [SEEDS] [FIRST_SEED]`.
/// Prints a summary line and exits 1 on the first broken promise, naming its seed.
let arguments = CommandLine.arguments.dropFirst().compactMap { UInt64($0) }
let seeds = arguments.first ?? 10_000
let first = arguments.dropFirst().first ?? 0
let clock = ContinuousClock()
let started = clock.now
var acknowledged = 0
var powerLosses = 0
var tornTails = 0
for seed in first..<first + seeds {
    let outcome = await PowerLossSimulation().run(seed: seed)
    if let violation = outcome.violation {
        print("VIOLATION: \(violation)")
        print("replay: iris-power-loss 1 \(seed)")
        exit(1)
    }
    acknowledged += outcome.acknowledged
    powerLosses += outcome.powerLosses
    tornTails += outcome.tornTails
}
let seconds = Double((clock.now - started).components.seconds) + Double((clock.now - started).components.attoseconds) / 1e18
print("power-loss: \(seeds) seeds, \(powerLosses) power losses, \(tornTails) torn tails cut, \(acknowledged) acknowledged records all recovered, 0 violations, \(Int(Double(seeds) / seconds)) seeds/s")
