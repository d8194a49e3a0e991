import Testing
import IrisLogSimulation

/// Power loss on the simulated disk, including inside syncs, truncations, rolls and
/// retention, never loses a durable record, never invents or resurrects one, and never
/// keeps the log from opening, whatever the seed. The long run (10,000 seeds) is
/// `iris-power-loss`, built in release by the CI script.
struct PowerLossTests {
    @Test func noDurableRecordIsLostInventedOrResurrectedWhateverTheSeed() async {
        var total = PowerLossSimulation.Outcome()
        // 100 seeds: this debug run was the unit suite's long pole in CI (117 s at 200).
        for seed in UInt64(0)..<100 {
            let outcome = await PowerLossSimulation().run(seed: seed)
            #expect(outcome.violation == nil)
            if outcome.violation != nil { break }
            total.add(outcome)
        }
        // The new paths must really run: `.none` lives, truncations and retention, power
        // failing inside truncations, and opens that cut a torn tail.
        // (10,000 seeds gave 2.0 power losses, 0.7 torn tails, 1.3 `.none` lives, 6.6
        // truncations, 5.8 retentions and 0.3 crashes inside a truncation per seed.)
        #expect(total.powerLosses >= 100 && total.tornTails > 25)
        #expect(total.sequentialLives > 50 && total.truncations > 200 && total.retentions > 100)
        #expect(total.crashesInTruncation > 5 && total.durableChecked > 1000)
    }
}
