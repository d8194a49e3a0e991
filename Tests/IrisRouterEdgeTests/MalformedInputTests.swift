import IrisMQTT
@testable import IrisRouterEdge
import NIOCore
import Testing

/// Bytes that are not MQTT 3.1.1 close the connection with one warning naming the peer and the
/// error, never crash, and never reach the router (MQTT 3.1.1 §4.8).
@Suite struct MalformedInputTests {
    /// Malformed packets, each after a valid CONNECT, with a word of the error each must log.
    static let malformed: [(bytes: [UInt8], error: String)] = [
        ([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], "4 bytes"),  // a fifth remaining-length byte
        ([0x36, 0x03, 0x00, 0x01, 0x61], "QoS"),  // PUBLISH with QoS 3 [MQTT-3.3.1-4]
        ([0x00, 0x00], "reserved"),  // packet type 0
        ([0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00], "flags"),  // SUBSCRIBE with flags 0000 [MQTT-3.8.1-1]
        ([0x32, 0x05, 0x00, 0x01, 0x61, 0x00, 0x00], "identifier 0"),  // QoS 1 PUBLISH with packet ID 0
        ([0x30, 0x04, 0x00, 0x02, 0x61, 0x2B], "topic"),  // wildcard in a PUBLISH topic name
    ]

    @Test("a malformed packet after CONNECT closes with one warning naming the remote and the error; `closed` says malformed")
    func malformedPacketCloses() async throws {
        try await EdgeHarness.run { edge in
            for (bytes, word) in Self.malformed {
                let client = try await edge.connectedClient()
                try await client.send(bytes)
                #expect(try await client.waitForClose(), "\(bytes)")
                let lines = edge.logs.lines(.warning, containing: client.localDescription)
                #expect(lines.count == 1, "\(bytes): \(lines)")
                #expect(lines.first?.contains("malformed packet") == true && lines.first?.contains(word) == true, "\(lines)")
            }
            _ = try await edge.waitForAllClosed()
            let closes = edge.router.closes
            #expect(closes.count == Self.malformed.count)
            #expect(closes.values.allSatisfy { $0.count == 1 && !$0[0].graceful && $0[0].reason.hasPrefix("malformed packet: ") }, "\(closes)")
            #expect(edge.router.events.allSatisfy { if case .received = $0 { false } else { true } })
        }
    }

    @Test("a packet of exactly maxPacketBytes is delivered; one byte more closes as soon as its header arrives, before the body")
    func packetAboveMaximumCloses() async throws {
        try await EdgeHarness.run({ $0.maxPacketBytes = 1024 }) { edge in
            let client = try await edge.connectedClient()
            let fitting = HandMade.publish(topic: "a", payload: Array(repeating: 7, count: 1018))
            #expect(fitting.count == 1024)
            try await client.send(fitting)
            try await waitUntil(seconds: 5) { edge.router.events.count == 2 }
            let tooLarge = HandMade.publish(topic: "a", payload: Array(repeating: 7, count: 1019))
            try await client.send(Array(tooLarge.prefix(3)))  // the fixed header only
            #expect(try await client.waitForClose())
            let events = try await edge.waitForAllClosed()
            guard events.count == 3, case .received(_, .publish(let publish)) = events[1], case .closed(_, false, let reason) = events[2] else {
                Issue.record("\(events)")
                return
            }
            #expect(publish.payload.count == 1018)
            #expect(reason.hasPrefix("packet too large: "), "\(reason)")
            let lines = edge.logs.lines(.warning, containing: client.localDescription)
            #expect(lines.count == 1 && lines[0].contains("1024"), "\(lines)")
        }
    }

    @Test("packets split at every byte and packets coalesced in one write are all delivered, in order")
    func splitAndCoalescedPackets() async throws {
        try await EdgeHarness.run { edge in
            let client = try await edge.client()
            let first = HandMade.publish(topic: "s/1", payload: Array(repeating: 1, count: 300), qos: 1, packetID: 1)
            let stream = HandMade.connect(keepAlive: 60) + first + HandMade.pingreq
            for byte in stream { try await client.send([byte]) }
            let burst = (2...4).flatMap { HandMade.publish(topic: "s/\($0)", payload: [UInt8($0)], qos: 1, packetID: UInt16($0)) }
            try await client.send(burst + HandMade.pingreq)
            let packets = try await client.packets(count: 7)
            #expect(packets == [
                .connack(sessionPresent: false, returnCode: .accepted), .puback(packetID: 1), .pingresp,
                .puback(packetID: 2), .puback(packetID: 3), .puback(packetID: 4), .pingresp,
            ])
            let topics = edge.router.events.compactMap { event -> String? in
                if case .received(_, .publish(let publish)) = event { return publish.topic.value }
                return nil
            }
            #expect(topics == ["s/1", "s/2", "s/3", "s/4"])
        }
    }

    @Test("random bytes on 200 connections (some after a valid CONNECT) never crash the server, and it serves on afterwards")
    func randomBytesNeverCrash() async throws {
        try await EdgeHarness.run({ $0.maxPacketBytes = 4096 }) { edge in
            var random = SplitMix(seed: 11)
            var clients: [RawMQTTClient] = []
            for index in 0..<200 {
                let client = try await edge.client()
                var bytes = index % 2 == 0 ? HandMade.connect(keepAlive: 60) : []
                bytes += (0..<(1 + random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                try? await client.send(bytes)
                clients.append(client)
            }
            for client in clients { await client.close() }
            try await waitUntil(seconds: 10) { edge.server.openConnectionCount == 0 }
            #expect(edge.server.openConnectionCount == 0)
            _ = try await edge.waitForAllClosed(within: 10)
            #expect(edge.router.closes.values.allSatisfy { $0.count == 1 })
            #expect(edge.server.connectionCount == 0)
            let healthy = try await edge.connectedClient()
            try await healthy.send(HandMade.pingreq)
            #expect(try await healthy.packets(count: 2).last == .pingresp)
        }
    }
}
