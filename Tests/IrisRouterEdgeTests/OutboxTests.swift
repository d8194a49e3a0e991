import IrisMQTT
@testable import IrisRouterEdge
import Testing

/// The connection as the router drives it: sending, closing, writability, and `closed` exactly once.
@Suite struct OutboxTests {
    @Test("a client that does not read makes the connection unwritable above the high mark; `writable` follows once it drains")
    func writabilityFollowsWatermarks() async throws {
        try await EdgeHarness.run({
            $0.outboxHighWaterBytes = 64 << 10
            $0.outboxLowWaterBytes = 16 << 10
        }) { edge in
            let client = try await edge.client(autoRead: false, receiveBufferBytes: 4096)
            try await client.send(HandMade.connect(keepAlive: 0))
            let connection = try await edge.connection()
            let publish = try MQTTPacket.publish(Publish(topic: TopicName(validating: "flood"), payload: Array(repeating: 1, count: 16 << 10), qos: .atMostOnce))
            var sends = 0
            while connection.isWritable, sends < 4_096 {  // at most 64 MiB
                connection.send([publish])
                sends += 1
                if sends % 16 == 0 { try await Task.sleep(for: .milliseconds(1)) }
            }
            try await waitUntil(seconds: 5) { !connection.isWritable }
            #expect(!connection.isWritable, "still writable after \(sends) packets")
            #expect(!edge.router.events.contains(.writable(connection.id)))
            try await client.startReading()
            try await waitUntil(seconds: 10) { edge.router.events.contains(.writable(connection.id)) }
            #expect(edge.router.events.contains(.writable(connection.id)))
            #expect(connection.isWritable)
            // Everything sent arrives, and reading resumed: a PINGREQ is answered after the flood.
            try await client.send(HandMade.pingreq)
            let expected = HandMade.connackAccepted.count + sends * publish.encoded.count + HandMade.pingresp.count
            try await waitUntil(seconds: 10) { client.receivedCount >= expected }
            #expect(client.receivedCount == expected)
        }
    }

    @Test("close(reason:) flushes what was sent (even to a slow reader), then closes; `closed` says \"closed by the router: …\"; later sends are ignored")
    func routerCloseFlushesFirst() async throws {
        try await EdgeHarness.run { edge in
            // More than the sockets buffer: most of it waits in the channel when close is called.
            let client = try await edge.client(autoRead: false, receiveBufferBytes: 4096)
            try await client.send(HandMade.connect(keepAlive: 0))
            let connection = try await edge.connection()
            let publish = try MQTTPacket.publish(Publish(topic: TopicName(validating: "last/words"), payload: Array(repeating: 9, count: 1 << 20), qos: .atMostOnce))
            connection.send(Array(repeating: publish, count: 8))
            connection.close(reason: "session taken over")
            connection.send([publish])
            try await Task.sleep(for: .milliseconds(100))
            try await client.startReading()
            #expect(try await client.waitForClose(within: 10))
            #expect(client.receivedCount == HandMade.connackAccepted.count + 8 * publish.encoded.count)
            let events = try await edge.waitForAllClosed()
            #expect(events.last == .closed(connection.id, graceful: false, reason: "closed by the router: session taken over"))
        }
    }

    @Test("a client that never takes the flushed bytes is cut off after closeFlushSeconds, and `closed` still comes once")
    func closeFlushIsBounded() async throws {
        try await EdgeHarness.run({ $0.closeFlushSeconds = 1 }) { edge in
            let client = try await edge.client(autoRead: false, receiveBufferBytes: 4096)
            try await client.send(HandMade.connect(keepAlive: 0))
            let connection = try await edge.connection()
            let publish = try MQTTPacket.publish(Publish(topic: TopicName(validating: "stuck"), payload: Array(repeating: 1, count: 1 << 20), qos: .atMostOnce))
            connection.send(Array(repeating: publish, count: 8))
            let start = ContinuousClock.now
            connection.close(reason: "slow consumer")
            _ = try await edge.waitForAllClosed(within: 10)
            #expect(ContinuousClock.now - start >= .seconds(1))
            #expect(edge.router.closes[connection.id]?.count == 1)
            #expect(edge.logs.lines(.info, containing: "did not take the last bytes within 1 s").count == 1)
            #expect(client.receivedCount == 0)
        }
    }

    @Test("`closed` is reported exactly once per connection when the router, the client and DISCONNECT race to close it")
    func closedExactlyOnce() async throws {
        try await EdgeHarness.run { edge in
            var clients: [RawMQTTClient] = []
            for index in 0..<24 { clients.append(try await edge.connectedClient(clientID: "r\(index)")) }
            let connections = edge.router.connections
            await withTaskGroup(of: Void.self) { group in
                for (index, client) in clients.enumerated() {
                    let connection = connections[index]
                    group.addTask { connection.close(reason: "race") }
                    group.addTask {
                        if index % 2 == 0 { try? await client.send(HandMade.disconnect) }
                        await client.close()
                    }
                }
            }
            _ = try await edge.waitForAllClosed()
            let closes = edge.router.closes
            #expect(closes.count == 24)
            #expect(closes.values.allSatisfy { $0.count == 1 }, "\(closes)")
            #expect(edge.server.connectionCount == 0)
            // Still exactly once a while later (nothing arrives late).
            try await Task.sleep(for: .milliseconds(200))
            #expect(edge.router.closes.values.allSatisfy { $0.count == 1 })
        }
    }
}
