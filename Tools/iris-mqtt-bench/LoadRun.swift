import NIOCore
import NIOPosix

/// Setup, timing and tear-down shared by both commands: connects clients in batches (so a broker's listen
/// backlog is never flooded), waits out the run, drains and collects.
enum LoadRun {
    /// Clients connected at once.
    static let connectBatchMax = 64
    /// Longest wait for in-flight acknowledgements and deliveries after the window closes.
    static let drainSecondsMax: Int64 = 10

    /// Connects every client and waits until each is ready; throws the first failure.
    static func connect(_ clients: [BenchClient], host: String, ports: [Int], shift: Int = 0) async throws {
        precondition(!ports.isEmpty)
        var start = 0
        while start < clients.count {
            let batch = clients[start..<min(start + connectBatchMax, clients.count)]
            for (index, client) in zip(batch.indices, batch) {
                let port = ports[(index + shift) % ports.count]
                client.loop.execute { client.start(host: host, port: port) }
            }
            for client in batch { try await client.ready.futureResult.get() }
            start += batch.count
        }
    }

    /// Sleeps until the monotonic instant `nanoseconds`.
    static func sleep(until nanoseconds: UInt64) async throws {
        let now = BenchPayload.now()
        if nanoseconds > now { try await Task.sleep(nanoseconds: nanoseconds - now) }
    }

    /// Polls `isSettled` every 50 ms until it holds or `drainSecondsMax` passes.
    static func drain(_ isSettled: () async throws -> Bool) async throws {
        let deadline = BenchPayload.now() + UInt64(drainSecondsMax) * 1_000_000_000
        while try await !isSettled(), BenchPayload.now() < deadline {
            try await Task.sleep(nanoseconds: 50_000_000)
        }
    }

    /// Runs `body` on the client's loop and returns its result.
    static func onLoop<Client: BenchClient, Value: Sendable>(
        _ client: Client, _ body: @escaping @Sendable (Client) -> Value
    ) async throws -> Value {
        try await client.loop.submit { body(client) }.get()
    }

    /// Disconnects every client.
    static func stop(_ clients: [BenchClient]) async {
        for client in clients {
            _ = try? await client.loop.flatSubmit { client.stop() }.get()
        }
    }

    /// A window of `durationSeconds` starting `warmupSeconds` from now.
    static func window(warmupSeconds: Double, durationSeconds: Double) -> MeasureWindow {
        let start = BenchPayload.now() + UInt64(warmupSeconds * 1e9)
        return MeasureWindow(startNanoseconds: start, endNanoseconds: start + UInt64(durationSeconds * 1e9))
    }
}
