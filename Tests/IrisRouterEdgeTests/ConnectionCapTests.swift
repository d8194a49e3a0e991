@testable import IrisRouterEdge
import NIOCore
import Testing

/// `maxConnections`: past the cap a connection is closed as soon as it is accepted, the router
/// never hears of it, and admitting resumes once one closes.
@Suite struct ConnectionCapTests {
    @Test("past maxConnections a connection is closed on accept, unread and unanswered; one closing makes room again")
    func refusesPastTheCapAndAdmitsAgain() async throws {
        try await EdgeHarness.run({ $0.maxConnections = 2 }) { edge in
            #expect(edge.server.connectionLimit == 2)
            let first = try await edge.connectedClient(clientID: "first")
            let second = try await edge.connectedClient(clientID: "second")
            let third = try await edge.client()
            #expect(try await third.waitForClose())
            // Sending on a refused connection gets no answer (it may fail: the peer closed).
            try? await third.send(HandMade.connect(keepAlive: 60, clientID: "third"))
            #expect(third.received.isEmpty)
            #expect(edge.server.refusedConnectionCount == 1)
            #expect(edge.router.connections.count == 2)
            #expect(edge.logs.lines(.warning, containing: "MQTT: 2 connections open, the cap").count == 1)

            await first.close()
            try await waitUntil(seconds: 5) { edge.server.openConnectionCount == 1 }
            // The cap counts until the channel's close completes: wait for the slot, bounded.
            var admitted: RawMQTTClient?
            for _ in 0..<50 where admitted == nil {
                let candidate = try await edge.client()
                try await candidate.send(HandMade.connect(keepAlive: 60, clientID: "fourth"))
                try await waitUntil(seconds: 2) { candidate.received.count >= 4 || candidate.isClosed }
                if candidate.received == HandMade.connackAccepted { admitted = candidate }
            }
            let fourth = try #require(admitted, "no connection was admitted after one closed")
            #expect(edge.router.connections.count == 3)
            #expect(edge.logs.lines(.notice, containing: "below the cap of 2 connections again").count == 1)
            await second.close()
            await fourth.close()
            _ = try await edge.waitForAllClosed()
        }
    }

    @Test("the default cap is the open-file soft limit less the reserve")
    func defaultCapFollowsTheDescriptorLimit() {
        let configuration = MQTTServer.Configuration(port: 0)
        let limit = DescriptorLimit.current()
        #expect(configuration.connectionLimit == max(1, limit.soft - MQTTServer.Configuration.descriptorReserve))
        #expect(MQTTServer.Configuration(port: 0, maxConnections: 7).connectionLimit == 7)
        #expect(throws: MQTTServerError.self) { try MQTTServer.Configuration(port: 0, maxConnections: 0).validate() }
    }
}
