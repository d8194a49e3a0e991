import Foundation
import IrisClient
import IrisClientProtocol
import IrisLog
import IrisReplication
import IrisTransport
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import Testing

@testable import IrisDaemon

/// A node server run in this process, its own service group so the test can stop it alone.
struct ServedNode {
    let configuration: NodeConfiguration
    let group: ServiceGroup
    let task: Task<Void, any Error>

    static func start(_ configuration: NodeConfiguration) throws -> ServedNode {
        let server = try NodeServer(configuration: configuration, logger: TestNodes.quiet)
        let group = ServiceGroup(services: [server], logger: TestNodes.quiet)
        let task = Task { try await group.run() }
        return ServedNode(configuration: configuration, group: group, task: task)
    }

    /// Graceful shutdown, awaited.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

/// Ports `freePorts` has handed out in this process: never handed out twice, so suites running
/// side by side cannot both be given a port the kernel offered again after it was released.
private let handedOutPorts = Mutex<Set<Int>>([])

/// Free TCP ports on 127.0.0.1, found by binding port 0 (then released for the node); each one
/// handed out once per process.
func freePorts(_ count: Int) throws -> [Int] {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    defer { try? group.syncShutdownGracefully() }
    var ports: [Int] = []
    for _ in 0..<(count * 20) where ports.count < count {
        let channel = try ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).wait()
        defer { try? channel.close().wait() }
        guard let port = channel.localAddress?.port else { continue }
        if handedOutPorts.withLock({ $0.insert(port).inserted }) { ports.append(port) }
    }
    guard ports.count == count else { throw ChannelError.inappropriateOperationForState }
    return ports
}

@Suite("A cluster over TCP", .serialized)
struct ClusterOverTCPTests {
    @Test("three nodes replicate over TCP; IrisClient's appends land once each through the loss of a leader")
    func threeNodesSurviveLeaderLoss() async throws {
        let ports = try freePorts(3)
        let members = Dictionary(uniqueKeysWithValues: (0..<3).map { (NodeID(UInt64($0 + 1)), Endpoint(host: "127.0.0.1", port: ports[$0])) })
        let configurations = (1...3).map { id in
            NodeConfiguration(
                dataDirectory: TestNodes.temporaryDirectory(), nodeID: NodeID(UInt64(id)), members: members,
                partitionCount: 2, replicaCount: 3)
        }
        defer { for configuration in configurations { try? FileManager.default.removeItem(atPath: configuration.dataDirectory) } }
        var nodes = try configurations.map { try ServedNode.start($0) }
        let client = try IrisClient(endpoints: members.values.map(\.description))
        var expected: [String] = []
        for index in 0..<30 {
            let value = "before-\(index)"
            _ = try await client.append(partition: 0, records: [Record(value: Array(value.utf8))])
            expected.append(value)
        }
        let status = try await client.status()
        let leader = try #require(status.partitions.first { $0.partition == 0 }?.leaderNodeID)
        await nodes[Int(leader) - 1].stop()
        for index in 0..<30 {
            let value = "after-\(index)"
            _ = try await client.append(partition: 0, records: [Record(value: Array(value.utf8))])
            expected.append(value)
        }
        nodes[Int(leader) - 1] = try ServedNode.start(configurations[Int(leader) - 1])
        var values: [String] = []
        var next = Offset(0)
        for _ in 0..<100 where values.count < expected.count {
            let batch = try await client.read(partition: 0, from: next, maxBytes: 1 << 20)
            values += batch.records.filter { !$0.headers.contains { $0.name.hasPrefix("iris.") } }.map { String(decoding: $0.value, as: UTF8.self) }
            next = batch.nextOffset
        }
        #expect(values == expected)
        await client.close()
        for node in nodes { await node.stop() }
    }

    @Test("with --tls-dir, nodes replicate over mutual TLS and a client with the cluster's client certificate appends")
    func threeNodesOverMutualTLS() async throws {
        let cluster = try MutualTLSCluster.start()
        let members = cluster.members
        let tls = try IrisTLS.clientContext(directory: TLSDirectory(path: cluster.certificates), role: .client)
        let client = try IrisClient(endpoints: cluster.addresses, tls: tls)
        var offsets: [Offset] = []
        for index in 0..<10 {
            offsets.append(try await client.append(partition: 0, records: [Record(value: Array("tls-\(index)".utf8))]))
        }
        let batch = try await client.read(partition: 0, from: offsets[0], maxBytes: 1 << 20)
        let values = batch.records.filter { !$0.headers.contains { $0.name.hasPrefix("iris.") } }.map { String(decoding: $0.value, as: UTF8.self) }
        #expect(values == (0..<10).map { "tls-\($0)" })
        // A client without TLS gets no answer from a TLS cluster.
        var plainConfiguration = IrisClientConfiguration()
        plainConfiguration.operationTimeout = .seconds(2)
        let plain = try IrisClient(endpoints: [members[NodeID(1)]!.description], configuration: plainConfiguration)
        await #expect(throws: IrisClientError.self) { _ = try await plain.append(partition: 0, records: [Record(value: [1])]) }
        await plain.close()
        await client.close()
        await cluster.stop()
    }
}
