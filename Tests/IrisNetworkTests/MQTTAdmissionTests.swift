import Foundation
import IrisMQTT
import IrisReplication
import IrisRouter
import IrisTransport
import NIOCore
import NIOPosix
import Testing

@testable import IrisDaemon

@Suite("MQTT admission control", .serialized)
struct MQTTAdmissionTests {
    static let partitionCount = 4
    static let publishers = 8
    static let messagesPerPublisher = 400
    static let limits = AppendAdmission.Limits(recordsMax: 8, bytesMax: 1 << 20)

    /// The first client ID "PREFIX-N" whose session lives in `partition`.
    static func clientID(_ prefix: String, in partition: Int, skipping: Set<String> = []) -> String {
        for index in 0..<10_000 {
            let id = "\(prefix)-\(index)"
            if !skipping.contains(id), ClientPlacement.partition(of: id, partitionCount: partitionCount) == partition { return id }
        }
        preconditionFailure("no client ID of partition \(partition) among 10,000")
    }

    /// Connects once the router serves (it binds after reading the log), waiting for CONNACK; bounded.
    static func connected(port: Int, clientID: String, group: any EventLoopGroup, acknowledging: Bool = false) async throws -> MQTTTestClient {
        for _ in 0..<200 {
            if let client = try? await MQTTTestClient.connect(port: port, clientID: clientID, group: group, acknowledging: acknowledging) {
                try await waitUntil(seconds: 5) { client.packets.contains { if case .connack = $0 { true } else { false } } || client.isClosed }
                #expect(client.packets.first == .connack(sessionPresent: false, returnCode: .accepted), "\(clientID)")
                return client
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ChannelError.connectTimeout(.seconds(10))
    }

    static func acknowledgedIDs(_ client: MQTTTestClient) -> Set<UInt16> {
        Set(client.packets.compactMap { if case .puback(let id) = $0 { id } else { nil } })
    }

    @Test("publishers flooding one partition are paused, never closed: every PUBACKed message is stored and delivered, appends in flight stay within the bound, and another partition's client is served meanwhile")
    func floodOfOnePartition() async throws {
        let data = TestNodes.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let ports = try freePorts(2)
        let configuration = NodeConfiguration(
            dataDirectory: data, nodeID: NodeID(1), members: [NodeID(1): Endpoint(host: "127.0.0.1", port: ports[0])],
            partitionCount: Self.partitionCount, replicaCount: 1)
        let running = try TestNodes.start(configuration, network: InProcessNetwork())
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        var settings = MQTTRouter.Settings(endpoint: Endpoint(host: "127.0.0.1", port: ports[1]))
        settings.admission = Self.limits
        let router = try MQTTRouter(node: running.node, settings: settings, group: group, logger: TestNodes.quiet)
        let routerTask = Task { await router.run() }

        let subscriber = try await Self.connected(port: ports[1], clientID: Self.clientID("sub", in: 1), group: group, acknowledging: true)
        try await subscriber.send([.subscribe(packetID: 1, subscriptions: [Subscription(filter: try TopicFilter(validating: "flood/#"), qos: .atLeastOnce)])])
        try await waitUntil(seconds: 5) { subscriber.packets.contains { if case .suback = $0 { true } else { false } } }
        var floodIDs: [String] = []
        for _ in 0..<Self.publishers { floodIDs.append(Self.clientID("pub", in: 0, skipping: Set(floodIDs))) }
        var publishers: [MQTTTestClient] = []
        for id in floodIDs { publishers.append(try await Self.connected(port: ports[1], clientID: id, group: group)) }
        let other = try await Self.connected(port: ports[1], clientID: Self.clientID("other", in: 2), group: group)

        // Every publisher sends all its QoS 1 messages at once, never waiting for a PUBACK.
        let total = Self.publishers * Self.messagesPerPublisher
        for (index, publisher) in publishers.enumerated() {
            let topic = try TopicName(validating: "flood/\(index)")
            try await publisher.send((1...Self.messagesPerPublisher).map { number in
                .publish(Publish(topic: topic, payload: Array("\(index)-\(number)".utf8), qos: .atLeastOnce, packetID: UInt16(number)))
            })
        }
        let floodAcknowledged: @Sendable () -> Int = { [publishers] in publishers.reduce(0) { $0 + Self.acknowledgedIDs($1).count } }
        try await waitUntil(seconds: 10) { router.shards[0]!.admissionFigures.paused > 0 || floodAcknowledged() == total }
        let pausedSeen = router.shards[0]!.admissionFigures.paused
        #expect(pausedSeen > 0, "the flood never reached the bound")

        // Another partition's client: its publish is acknowledged while the flood is still on.
        try await other.send([.publish(Publish(topic: try TopicName(validating: "other/x"), payload: [1], qos: .atLeastOnce, packetID: 9))])
        try await waitUntil(seconds: 10) { Self.acknowledgedIDs(other) == [9] }
        let floodAcknowledgedThen = floodAcknowledged()
        #expect(Self.acknowledgedIDs(other) == [9])
        #expect(floodAcknowledgedThen < total, "the other partition's PUBACK came only after the flood: \(floodAcknowledgedThen)")

        try await waitUntil(seconds: 120) { floodAcknowledged() == total }
        let delivered: @Sendable () -> Set<String> = { Set(subscriber.packets.compactMap { if case .publish(let publish) = $0 { String(decoding: publish.payload, as: UTF8.self) } else { nil } }) }
        try await waitUntil(seconds: 30) { delivered().count == total }

        for (index, publisher) in publishers.enumerated() {
            #expect(Self.acknowledgedIDs(publisher) == Set((1...Self.messagesPerPublisher).map { UInt16($0) }), "publisher \(index)")
            #expect(!publisher.isClosed, "publisher \(index) was closed")
        }
        let expected = Set((0..<Self.publishers).flatMap { index in (1...Self.messagesPerPublisher).map { "\(index)-\($0)" } })
        #expect(delivered() == expected)
        #expect(!subscriber.isClosed && !other.isClosed)
        let figures = router.shards[0]!.admissionFigures
        #expect(figures.recordsInFlightPeak == Self.limits.recordsMax, "appends in flight must reach the bound and never pass it")
        #expect(figures.paused == 0 && router.pausedConnections == 0)
        // Stored: every message is in partition 0's topic index, and the other client's in partition 2's.
        #expect(router.indexFigures.messages == total + 1)

        for client in publishers + [subscriber, other] { await client.close() }
        await router.stop()
        await running.stop()
        await routerTask.value
        try await group.shutdownGracefully()
    }
}
