import Testing

/// Seeded random runs of the shard cores with crashes (`RandomRun`): the invariants of issue 11's
/// QoS model hold after every step and at the end.
@Suite struct ShardCoreRandomTests {
    /// Runs `count` seeds from `first`; returns the failures, each naming its seed. A long run is one
    /// line: `ShardCoreRandomTests.runSeeds(first: 1, count: 100_000, steps: 400)`.
    static func runSeeds(first: UInt64, count: Int, steps: Int = 150, skipping: Set<UInt64> = []) -> [String] {
        var failures: [String] = []
        for seed in first..<first + UInt64(count) where !skipping.contains(seed) {
            var run = RandomRun(seed: seed, stepCount: steps)
            let found = run.run()
            if !found.isEmpty && failures.isEmpty {
                // The first failing seed again, with what led to it.
                var traced = RandomRun(seed: seed, stepCount: steps, traceLines: 60)
                failures += traced.run()
            } else {
                failures += found
            }
        }
        return failures
    }

    /// Seeds that found bugs, kept: 8 (a taken-over connection's QoS 2 PUBLISH stored twice), 40 (the
    /// same race through PUBLISH held before CONNACK), 23 and 134 (QoS 2 delivered twice), 1002 at 300
    /// steps (a cursor record hid a recorded PUBREC), 145 (acknowledging a retained copy forgot that the
    /// live QoS 2 delivery of the same message was still in flight); 1210, 1260, 1294, 1513, 1596, 2017,
    /// 2155, 2193, 2831, 3312 and 3871 at 300 steps (a session whose connect record came in the middle of
    /// a batch of its partition's records started at the batch's end: the messages before its connect
    /// record in that batch, stored while it was offline, were never delivered).
    @Test(arguments: [
        (UInt64(8), 150), (40, 150), (23, 150), (134, 150), (145, 150), (192, 150), (1002, 300), (1075, 300), (1210, 300), (1260, 300),
        (1294, 300), (1513, 300), (1596, 300), (2017, 300), (2155, 300), (2193, 300), (2831, 300), (3312, 300), (3871, 300),
    ])
    func regressionSeed(seed: UInt64, steps: Int) {
        var run = RandomRun(seed: seed, stepCount: steps, traceLines: 60)
        let failures = run.run()
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    /// Seeds that fail now, each with its own test below until fixed.
    static let knownFailing: Set<UInt64> = []

    @Test func twoHundredSeeds() {
        let failures = Self.runSeeds(first: 1, count: 200, skipping: Self.knownFailing)
        #expect(failures.isEmpty, "\(failures.count) failing: \(failures.prefix(5).joined(separator: "\n"))")
    }
}
