import IrisMQTT
@testable import IrisRouterEdge
import Testing

/// `pauseReading()` / `resumeReading()`: how admission control stops a publisher without closing it.
@Suite struct ReadPauseTests {
    private static func publishes(_ router: RecordingRouterDouble) -> [UInt16] {
        router.events.compactMap { if case .received(_, .publish(let publish)) = $0 { publish.packetID } else { nil } }
    }

    @Test("paused while its packet is handled, a connection hands on no further packet; each resume hands on the held ones in order, then reads the socket again")
    func pauseHoldsPacketsInOrder() async throws {
        try await EdgeHarness.run { edge in
            let client = try await edge.connectedClient(keepAlive: 0)
            let connection = try await edge.connection()
            edge.router.pausesOnPublish.store(true, ordering: .relaxed)
            // Three QoS 1 publishes in one write: they arrive in one read.
            try await client.send((1...3).flatMap { HandMade.publish(topic: "t", payload: [UInt8($0)], qos: 1, packetID: UInt16($0)) })
            try await waitUntil(seconds: 5) { !Self.publishes(edge.router).isEmpty }
            // Sent while paused: not handed on either.
            try await client.send(HandMade.publish(topic: "t", payload: [4], qos: 1, packetID: 4))
            try await Task.sleep(for: .milliseconds(200))
            #expect(Self.publishes(edge.router) == [1])
            connection.resumeReading()
            try await waitUntil(seconds: 5) { Self.publishes(edge.router).count >= 2 }
            try await Task.sleep(for: .milliseconds(100))
            #expect(Self.publishes(edge.router) == [1, 2])
            edge.router.pausesOnPublish.store(false, ordering: .relaxed)
            connection.resumeReading()
            try await waitUntil(seconds: 5) { Self.publishes(edge.router).count >= 4 }
            #expect(Self.publishes(edge.router) == [1, 2, 3, 4])
            // Reading again: a PINGREQ sent now is answered.
            try await client.send(HandMade.pingreq)
            let expected = HandMade.connackAccepted.count + 4 * 4 + HandMade.pingresp.count
            try await waitUntil(seconds: 5) { client.receivedCount >= expected }
            #expect(Array(client.received.suffix(2)) == HandMade.pingresp)
            #expect(!client.isClosed)
        }
    }

    @Test("the keep-alive deadline does not pass while reading is paused; it applies again once resumed")
    func keepAliveWaitsWhilePaused() async throws {
        try await EdgeHarness.run { edge in
            let client = try await edge.connectedClient(keepAlive: 1)
            let connection = try await edge.connection()
            edge.router.pausesOnPublish.store(true, ordering: .relaxed)
            try await client.send(HandMade.publish(topic: "t", payload: [1], qos: 0))
            // Three times the 1.5 s deadline, paused.
            try await Task.sleep(for: .milliseconds(4_500))
            #expect(!client.isClosed)
            edge.router.pausesOnPublish.store(false, ordering: .relaxed)
            connection.resumeReading()
            #expect(try await client.waitForClose(within: 10))
            let events = try await edge.waitForAllClosed()
            #expect(events.last == .closed(connection.id, graceful: false, reason: "keep-alive expired: no packet for 1.5 x 1 s"))
        }
    }
}
