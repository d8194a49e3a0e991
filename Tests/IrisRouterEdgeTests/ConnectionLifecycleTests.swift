import IrisMQTT
@testable import IrisRouterEdge
import NIOCore
import NIOPosix
import Testing

/// CONNECT, PINGREQ, DISCONNECT and the protocol rules the edge enforces itself (MQTT 3.1.1 §3.1, §3.12, §3.14).
@Suite struct ConnectionLifecycleTests {
    @Test("CONNECT reaches the router, PINGREQ is answered by the edge, PUBLISH goes to the router, DISCONNECT closes gracefully")
    func connectPingPublishDisconnect() async throws {
        try await EdgeHarness.run { edge in
            let client = try await edge.connectedClient(keepAlive: 30, clientID: "alpha")
            #expect(edge.server.connectionCount == 1)
            try await client.send(HandMade.pingreq)
            try await client.send(HandMade.publish(topic: "a/b", payload: Array("x".utf8), qos: 1, packetID: 7))
            let packets = try await client.packets(count: 3)
            #expect(packets == [
                .connack(sessionPresent: false, returnCode: .accepted), .pingresp, .puback(packetID: 7),
            ])
            try await client.send(HandMade.disconnect)
            #expect(try await client.waitForClose())
            let events = try await edge.waitForAllClosed()
            let connection = try await edge.connection()
            let expected = try Publish(topic: TopicName(validating: "a/b"), payload: Array("x".utf8), qos: .atLeastOnce, retain: false, duplicate: false, packetID: 7)
            #expect(events == [
                .connected(connection.id, Connect(cleanSession: true, keepAliveSeconds: 30, clientID: "alpha")),
                .received(connection.id, .publish(expected)),
                .closed(connection.id, graceful: true, reason: "client sent DISCONNECT"),
            ])
            #expect(connection.remoteDescription == client.localDescription)
            #expect(edge.server.connectionCount == 0)
        }
    }

    @Test("a first packet other than CONNECT closes the connection with a log line; the router never hears of it [MQTT-3.1.0-1]")
    func firstPacketMustBeConnect() async throws {
        try await EdgeHarness.run { edge in
            let client = try await edge.client()
            try await client.send(HandMade.pingreq)
            #expect(try await client.waitForClose())
            #expect(client.received.isEmpty)
            #expect(edge.router.events.isEmpty)
            let lines = edge.logs.lines(.warning, containing: client.localDescription)
            #expect(lines.count == 1 && lines[0].contains("first packet is PINGREQ, not CONNECT"), "\(lines)")
        }
    }

    @Test("a second CONNECT closes the connection as a protocol violation [MQTT-3.1.0-2]")
    func secondConnectCloses() async throws {
        try await EdgeHarness.run { edge in
            let client = try await edge.connectedClient()
            try await client.send(HandMade.connect(keepAlive: 60))
            #expect(try await client.waitForClose())
            let events = try await edge.waitForAllClosed()
            #expect(events.count == 2)
            guard case .closed(_, let graceful, let reason) = events.last else {
                Issue.record("no closed event: \(events)")
                return
            }
            #expect(!graceful)
            #expect(reason == "protocol violation: a second CONNECT on one connection [MQTT-3.1.0-2]")
        }
    }

    @Test("CONNECT of another protocol level (3.1's MQIsdp/3, MQTT/5) gets CONNACK 0x01 and a close; the router never hears of it [MQTT-3.1.2-2]")
    func otherProtocolLevelsAreRefused() async throws {
        try await EdgeHarness.run { edge in
            for (name, level) in [("MQIsdp", UInt8(3)), ("MQTT", UInt8(5)), ("MQTT", UInt8(3))] {
                let client = try await edge.client()
                try await client.send(HandMade.connect(keepAlive: 60, name: name, level: level))
                #expect(try await client.waitForClose(), "\(name) \(level)")
                #expect(client.received == HandMade.connackUnacceptableProtocol, "\(name) \(level)")
            }
            #expect(edge.router.events.isEmpty)
            #expect(edge.server.connectionCount == 0)
        }
    }

    @Test("a client sending a packet only a server sends (CONNACK, SUBACK, UNSUBACK, PINGRESP) is closed; the router hears only `closed`")
    func serverOnlyPacketsClose() async throws {
        try await EdgeHarness.run { edge in
            let serverOnly: [[UInt8]] = [HandMade.connackAccepted, [0x90, 0x03, 0x00, 0x01, 0x00], [0xB0, 0x02, 0x00, 0x01], HandMade.pingresp]
            for bytes in serverOnly {
                let client = try await edge.connectedClient()
                try await client.send(bytes)
                #expect(try await client.waitForClose(), "\(bytes)")
            }
            let events = try await edge.waitForAllClosed()
            #expect(events.filter { if case .received = $0 { true } else { false } }.isEmpty)
            let reasons = edge.router.closes.values.map { $0[0].reason }
            #expect(reasons.count == 4 && reasons.allSatisfy { $0.hasPrefix("protocol violation: the client sent ") }, "\(reasons)")
        }
    }

    @Test("stop() stops accepting and closes every connection: each `closed` once, \"server stopping\"; one wheel per event loop")
    func stopClosesEverything() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let router = RecordingRouterDouble()
        let server = MQTTServer(configuration: .init(port: 0), delegate: router, group: group, logger: LogRecorder().logger)
        let port = try await server.start()
        let edge = EdgeHarness(server: server, router: router, logs: LogRecorder(), group: group, port: port)
        var clients: [RawMQTTClient] = []
        for index in 0..<8 { clients.append(try await edge.connectedClient(clientID: "c\(index)")) }
        #expect(server.connectionCount == 8)
        #expect((1...2).contains(server.edgeLoopCount))
        await server.stop()
        #expect(server.connectionCount == 0)
        let closes = router.closes
        #expect(closes.count == 8 && closes.values.allSatisfy { $0.count == 1 && $0[0].reason == "server stopping" && !$0[0].graceful })
        for client in clients { #expect(try await client.waitForClose()) }
        await #expect(throws: (any Error).self) { _ = try await RawMQTTClient.connect(port: port, group: group) }
        await #expect(throws: MQTTServerError.alreadyStarted) { _ = try await server.start() }
        try await group.shutdownGracefully()
    }
}
