import Foundation
import IrisClient
import IrisClientProtocol
import IrisLog
import IrisReplication
import IrisTransport
import Testing

@testable import IrisDaemon

/// A partition read from another node (SPEC.md §16.7): `RemoteRecordSource` and
/// `PartitionDirectory` against a real cluster of node servers over TCP.
@Suite("Reading a partition hosted on other nodes", .serialized)
struct RemoteRecordSourceTests {
    /// A three-node cluster (R = 3, P = 2) over TCP, a client of it, and a directory of partition 0.
    struct Cluster {
        let configurations: [NodeConfiguration]
        var nodes: [ServedNode]
        let addresses: [String]
        let writer: IrisClient

        init() throws {
            let ports = try freePorts(3)
            let members = Dictionary(uniqueKeysWithValues: (0..<3).map { (NodeID(UInt64($0 + 1)), Endpoint(host: "127.0.0.1", port: ports[$0])) })
            configurations = (1...3).map { id in
                NodeConfiguration(
                    dataDirectory: TestNodes.temporaryDirectory(), nodeID: NodeID(UInt64(id)), members: members,
                    partitionCount: 2, replicaCount: 3)
            }
            nodes = try configurations.map { try ServedNode.start($0) }
            addresses = members.keys.sorted().map { members[$0]!.description }
            writer = try IrisClient(endpoints: addresses)
        }

        func append(_ values: [String]) async throws {
            _ = try await writer.append(partition: 0, records: values.map { Record(value: Array($0.utf8)) })
        }

        func stop() async {
            await writer.close()
            for node in nodes { await node.stop() }
            for configuration in configurations { try? FileManager.default.removeItem(atPath: configuration.dataDirectory) }
        }
    }

    static func reader(_ addresses: [String]) throws -> (IrisClient, PartitionDirectory) {
        var configuration = IrisClientConfiguration()
        configuration.requestTimeout = .seconds(2)
        configuration.operationTimeout = .seconds(10)
        let client = try IrisClient(endpoints: addresses, configuration: configuration)
        return (client, PartitionDirectory(partitions: [0], addresses: addresses, client: client))
    }

    /// Reads from `offset` until `count` records came or 20 s passed; fails on a gap.
    static func drain(_ source: RemoteRecordSource, from offset: UInt64, count: Int) async throws -> [LogRecord] {
        var records: [LogRecord] = []
        var next = offset
        let deadline = ContinuousClock.now + .seconds(20)
        while records.count < count, ContinuousClock.now < deadline {
            let batch = try await source.committed(from: next, maxBytes: 1 << 20, waitTicks: 4)
            for record in batch {
                #expect(record.offset.rawValue == next, "no gap, no repeat")
                next = record.offset.rawValue + 1
            }
            records += batch
        }
        return records
    }

    static func values(_ records: [LogRecord]) -> [String] {
        records.filter { !$0.headers.contains { $0.name.hasPrefix("iris.") } }.map { String(decoding: $0.value, as: UTF8.self) }
    }

    @Test("follows the committed tail from offset 0 in order, reads older offsets back, and learns leader and commit end from STATUS")
    func followsAndReads() async throws {
        let cluster = try Cluster()
        try await cluster.append((0..<40).map { "early-\($0)" })
        let (client, directory) = try Self.reader(cluster.addresses)
        let source = RemoteRecordSource(partition: 0, client: client, directory: directory, tick: .milliseconds(25), logger: TestNodes.quiet)
        #expect(source.settledCommitEnd == nil, "no STATUS round yet")
        await directory.refresh()
        let end = try #require(source.settledCommitEnd)
        let status = try await cluster.writer.status(of: cluster.addresses[0])
        #expect(directory.leader(of: 0)?.rawValue == status.partitions.first { $0.partition == 0 }?.leaderNodeID)

        var records = try await Self.drain(source, from: 0, count: Int(end))
        #expect(records.count == Int(end))
        // Then records committed later, as they commit.
        try await cluster.append((0..<10).map { "late-\($0)" })
        records += try await Self.drain(source, from: end, count: 10)
        #expect(Self.values(records) == (0..<40).map { "early-\($0)" } + (0..<10).map { "late-\($0)" })

        let fifth = try #require(records.first { String(decoding: $0.value, as: UTF8.self) == "early-5" })
        let read = try await source.records(from: fifth.offset.rawValue, maxBytes: 1 << 10)
        #expect(read.first == fifth)

        // A feed that moves (a checkpoint loaded) is followed from its new offset.
        let moved = try await Self.drain(source, from: fifth.offset.rawValue, count: 3)
        #expect(moved.first?.offset == fifth.offset)

        source.stop()
        #expect(source.isStopped)
        #expect(try await source.committed(from: records.last!.offset.rawValue + 1, maxBytes: 1 << 20, waitTicks: 1).isEmpty)
        await client.close()
        await cluster.stop()
    }

    @Test("goes on with no gap when the node it follows stops, and buffers at most its bound while the feed does not read")
    func failsOverAndBounds() async throws {
        var cluster = try Cluster()
        try await cluster.append((0..<20).map { "before-\($0)" })
        let (client, directory) = try Self.reader(cluster.addresses)
        let source = RemoteRecordSource(partition: 0, client: client, directory: directory, tick: .milliseconds(25), logger: TestNodes.quiet)
        var records = try await Self.drain(source, from: 0, count: 21)
        #expect(Self.values(records).count == 20)

        let status = try await cluster.writer.status()
        let leader = try #require(status.partitions.first { $0.partition == 0 }?.leaderNodeID)
        await cluster.nodes[Int(leader) - 1].stop()
        try await cluster.append((0..<20).map { "after-\($0)" })
        let next = records.last!.offset.rawValue + 1
        records += try await Self.drain(source, from: next, count: 1)
        let deadline = ContinuousClock.now + .seconds(20)
        while Self.values(records).count < 40, ContinuousClock.now < deadline {
            records += try await Self.drain(source, from: records.last!.offset.rawValue + 1, count: 1)
        }
        #expect(Self.values(records) == (0..<20).map { "before-\($0)" } + (0..<20).map { "after-\($0)" })
        cluster.nodes[Int(leader) - 1] = try ServedNode.start(cluster.configurations[Int(leader) - 1])

        // More than the buffer holds, committed while the feed reads nothing.
        let total = RemoteRecordSource.bufferedRecordsMax + 2_000
        for start in stride(from: 0, to: total, by: 2_000) {
            try await cluster.append((start..<min(total, start + 2_000)).map { "bulk-\($0)" })
        }
        var seen = 0
        for _ in 0..<100 {
            try await Task.sleep(for: .milliseconds(50))
            seen = max(seen, source.buffered)
        }
        #expect(seen > 0 && seen <= RemoteRecordSource.bufferedRecordsMax)
        // Nothing was dropped at the bound: the feed reads every record in order.
        var bulk = 0
        var offset = records.last!.offset.rawValue + 1
        let bulkDeadline = ContinuousClock.now + .seconds(30)
        while bulk < total, ContinuousClock.now < bulkDeadline {
            let batch = try await Self.drain(source, from: offset, count: 1)
            guard let last = batch.last else { continue }
            bulk += Self.values(batch).count
            offset = last.offset.rawValue + 1
        }
        #expect(bulk == total)
        source.stop()
        await client.close()
        await cluster.stop()
    }

    @Test("with --tls-dir, a node reads another's partition over the client protocol with its own node certificate")
    func readsOverMutualTLS() async throws {
        let cluster = try MutualTLSCluster.start()
        let certificates = cluster.certificates
        let addresses = cluster.addresses
        let writer = try IrisClient(endpoints: addresses, tls: IrisTLS.clientContext(directory: TLSDirectory(path: certificates), role: .client))
        _ = try await writer.append(partition: 0, records: (0..<5).map { Record(value: Array("tls-\($0)".utf8)) })

        // What NodeServer hands the router: the context node 1 dials its peers with.
        let nodeContext = try PeerTLSContexts(directory: TLSDirectory(path: certificates), nodeID: NodeID(1)).client
        let client = try IrisClient(endpoints: addresses, tls: nodeContext)
        let directory = PartitionDirectory(partitions: [0], addresses: addresses, client: client)
        let source = RemoteRecordSource(partition: 0, client: client, directory: directory, tick: .milliseconds(25), logger: TestNodes.quiet)
        await directory.refresh()
        #expect(directory.leader(of: 0) != nil)
        let end = try #require(source.settledCommitEnd)
        let records = try await Self.drain(source, from: 0, count: Int(end))
        #expect(Self.values(records) == (0..<5).map { "tls-\($0)" })
        source.stop()
        await client.close()
        await writer.close()
        await cluster.stop()
    }
}
