import Testing
import IrisLogSimulation

/// Power loss on the simulated disk never loses an acknowledged record, whatever the seed.
/// The long run (10,000 seeds) is `iris-power-loss`, built in release by the CI script.
struct PowerLossTests {
    @Test func noAcknowledgedRecordIsLostWhateverTheSeed() async {
        var powerLosses = 0
        var tornTails = 0
        for seed in UInt64(0)..<200 {
            let outcome = await PowerLossSimulation().run(seed: seed)
            #expect(outcome.violation == nil)
            if outcome.violation != nil { break }
            powerLosses += outcome.powerLosses
            tornTails += outcome.tornTails
        }
        // The simulation must really crash mid-write: some opens must find a torn tail.
        #expect(powerLosses >= 200 && tornTails > 50)
    }
}
