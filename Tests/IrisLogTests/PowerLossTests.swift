import Testing
import IrisLogSimulation

/// Power loss on the simulated disk, including inside syncs, truncations, rolls and
/// retention, never loses a durable record, never invents or resurrects one, and never
/// keeps the log from opening, whatever the seed. The long run (10,000 seeds) is
/// `iris-power-loss`, built in release by the CI script.
struct PowerLossTests {
    @Test func noDurableRecordIsLostInventedOrResurrectedWhateverTheSeed() async {
        var total = PowerLossSimulation.Outcome()
        for seed in UInt64(0)..<200 {
            let outcome = await PowerLossSimulation().run(seed: seed)
            #expect(outcome.violation == nil)
            if outcome.violation != nil { break }
            total.add(outcome)
        }
        // The new paths must really run: `.none` lives, truncations and retention, power
        // failing inside truncations, and opens that cut a torn tail.
        #expect(total.powerLosses >= 200 && total.tornTails > 50)
        #expect(total.sequentialLives > 100 && total.truncations > 200 && total.retentions > 100)
        #expect(total.crashesInTruncation > 10 && total.durableChecked > 1000)
    }
}
