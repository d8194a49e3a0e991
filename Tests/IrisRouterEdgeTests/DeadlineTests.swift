import IrisMQTT
@testable import IrisRouterEdge
import Testing

/// Keep-alive [MQTT-3.1.2-24] and the connect timeout, enforced by each event loop's timing wheel.
/// The bounds below are liveness bounds; the lower bounds are the rule itself (never early).
@Suite struct DeadlineTests {
    @Test("no packet for 1.5 x keep-alive closes as a network failure; a client that pings stays; keep-alive 0 means none")
    func keepAliveExpires() async throws {
        try await EdgeHarness.run { edge in
            let start = ContinuousClock.now
            let silent = try await edge.connectedClient(keepAlive: 1, clientID: "silent")
            // Keep-alive 2 (closed after 3 s of silence): the test outlives that by pinging, with room for
            // a test process starved by other suites on a loaded machine.
            let pinging = try await edge.connectedClient(keepAlive: 2, clientID: "pinging")
            let unlimited = try await edge.connectedClient(keepAlive: 0, clientID: "unlimited")
            var pings = 0
            while !silent.isClosed, ContinuousClock.now < start + .seconds(6) {
                try await Task.sleep(for: .milliseconds(400))
                try await pinging.send(HandMade.pingreq)
                pings += 1
            }
            let closedAt = try #require(silent.closedAt)
            #expect(closedAt - start >= .milliseconds(1500), "closed after \(closedAt - start)")
            // Long past the pinging client's 3 s: it and the keep-alive-0 client stay open.
            for _ in 0..<10 {
                try await Task.sleep(for: .milliseconds(400))
                try await pinging.send(HandMade.pingreq)
                pings += 1
            }
            #expect(!pinging.isClosed && !unlimited.isClosed)
            #expect(try await pinging.packets(count: 1 + pings).filter { $0 == .pingresp }.count == pings)
            let closes = edge.router.closes
            #expect(closes.count == 1)
            let silentID = try await edge.connection(0).id
            #expect(closes[silentID]?.first?.graceful == false)
            #expect(closes[silentID]?.first?.reason == "keep-alive expired: no packet for 1.5 x 1 s")
            #expect(edge.logs.lines(.info, containing: "keep-alive expired").count == 1)
        }
    }

    @Test("a connection without a complete CONNECT within connectTimeoutSeconds is closed, however it trickles bytes")
    func connectTimeout() async throws {
        try await EdgeHarness.run({ $0.connectTimeoutSeconds = 1 }) { edge in
            let start = ContinuousClock.now
            let idle = try await edge.client()
            let trickling = try await edge.client()
            let connect = HandMade.connect(keepAlive: 60)
            for byte in connect.prefix(8) {
                try? await trickling.send([byte])  // fails once the server closed
                try await Task.sleep(for: .milliseconds(150))
            }
            #expect(try await idle.waitForClose(within: 5))
            #expect(try await trickling.waitForClose(within: 5))
            for client in [idle, trickling] {
                let closedAt = try #require(client.closedAt)
                #expect(closedAt - start >= .seconds(1), "closed after \(closedAt - start)")
            }
            #expect(edge.router.events.isEmpty)
            #expect(edge.logs.lines(.info, containing: "no CONNECT within 1 s").count == 2)
            // A client that connects in time is not affected.
            let prompt = try await edge.connectedClient()
            try await Task.sleep(for: .milliseconds(1500))
            #expect(!prompt.isClosed)
        }
    }
}
