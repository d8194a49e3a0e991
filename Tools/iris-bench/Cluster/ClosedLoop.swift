import IrisClient
import IrisLog

/// What a closed-loop run measured: appends acknowledged in the measured window and their
/// latencies.
struct LoadResult: Sendable {
    /// Latencies of the appends that started in the measured window, in nanoseconds, sorted.
    var latencies: [UInt64]
    /// Appends that threw (warm-up included).
    var errors: Int
    /// The first error's description, when there was one.
    var firstError: String?
    /// Length of the measured window in seconds.
    var seconds: Double
}

/// C concurrent clients, each appending one record per call and waiting for the committed
/// answer before the next. Clients share the IrisClient instances (round robin) and
/// spread over the partitions (client i appends to partition i mod P). Appends started in the
/// warm-up are not measured; every client stops at the end of the window or after its share
/// of `operationsMax`.
struct ClosedLoop: Sendable {
    /// The IrisClient instances the clients share.
    let clients: [IrisClient]
    let clientCount: Int
    let partitions: Int
    let payload: [UInt8]
    let warmup: Duration
    let duration: Duration
    let operationsMax: Int

    /// Runs the load, closes the clients and returns what it measured.
    func run() async -> LoadResult {
        let clock = ContinuousClock()
        let measureStart = clock.now + warmup
        let end = measureStart + duration
        let perClientMax = operationsMax / clientCount + 1
        let record = Record(value: payload)
        let outcomes = await withTaskGroup(of: ClientOutcome.self) { group in
            for index in 0..<clientCount {
                let client = clients[index % clients.count]
                let partition = UInt32(index % partitions)
                group.addTask {
                    await Self.loop(client: client, partition: partition, record: record, measureStart: measureStart, end: end,
                                    operationsMax: perClientMax)
                }
            }
            var all: [ClientOutcome] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        for client in clients { await client.close() }
        var latencies = outcomes.flatMap(\.latencies)
        latencies.sort()
        return LoadResult(
            latencies: latencies, errors: outcomes.reduce(0) { $0 + $1.errors },
            firstError: outcomes.lazy.compactMap(\.firstError).first,
            seconds: Double((end - measureStart).components.seconds) + Double((end - measureStart).components.attoseconds) / 1e18)
    }

    /// One client's results.
    private struct ClientOutcome: Sendable {
        var latencies: [UInt64] = []
        var errors = 0
        var firstError: String?
    }

    /// One client: append, wait, repeat until `end` or `operationsMax` measured appends.
    private static func loop(client: IrisClient, partition: UInt32, record: Record, measureStart: ContinuousClock.Instant,
                             end: ContinuousClock.Instant, operationsMax: Int) async -> ClientOutcome
    {
        let clock = ContinuousClock()
        var outcome = ClientOutcome()
        outcome.latencies.reserveCapacity(min(operationsMax, 1 << 16))
        while outcome.latencies.count < operationsMax, !Task.isCancelled {
            let start = clock.now
            guard start < end else { break }
            do {
                _ = try await client.append(partition: partition, records: [record])
                if start >= measureStart {
                    let elapsed = (clock.now - start).components
                    outcome.latencies.append(UInt64(elapsed.seconds) * 1_000_000_000 + UInt64(elapsed.attoseconds / 1_000_000_000))
                }
            } catch {
                outcome.errors += 1
                if outcome.firstError == nil { outcome.firstError = error.description }
            }
        }
        return outcome
    }
}
