import Foundation
import Testing

/// Long random runs, by hand only (CI's budget is tight): `IRIS_SEEDS=FIRST,COUNT,STEPS swift test
/// --skip-build --filter ShardCoreLongRunTests` runs seeds FIRST..<FIRST+COUNT at STEPS steps and
/// prints each failing seed, the first with its trace; with `IRIS_TRACE_FILE=PATH` the whole
/// trace of the first failure is written there.
@Suite struct ShardCoreLongRunTests {
    static let request: (first: UInt64, count: Int, steps: Int)? = {
        guard let text = ProcessInfo.processInfo.environment["IRIS_SEEDS"] else { return nil }
        let parts = text.split(separator: ",").compactMap { Int($0) }
        guard parts.count == 3, parts[0] > 0, parts[1] > 0, parts[2] > 0 else { return nil }
        return (UInt64(parts[0]), parts[1], parts[2])
    }()

    @Test(.enabled(if: request != nil, "set IRIS_SEEDS=FIRST,COUNT,STEPS"))
    func seeds() throws {
        let request = try #require(Self.request)
        var failing: [UInt64] = []
        for seed in request.first..<request.first + UInt64(request.count) {
            var run = RandomRun(seed: seed, stepCount: request.steps)
            guard !run.run().isEmpty else { continue }
            failing.append(seed)
            if failing.count == 1, let path = ProcessInfo.processInfo.environment["IRIS_TRACE_FILE"] {
                var traced = RandomRun(seed: seed, stepCount: request.steps, traceLines: 1_000_000)
                try traced.run().joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
            }
        }
        #expect(failing.isEmpty, "\(failing.count) failing seeds: \(failing.map(String.init).joined(separator: " "))")
    }
}
