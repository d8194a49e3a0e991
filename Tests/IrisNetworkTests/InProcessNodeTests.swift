import Foundation
import IrisLog
import IrisNode
import IrisReplication
import IrisTransport
import Logging
import Synchronization
import Testing

@testable import IrisDaemon

/// Nodes in one process, their peer messages passed in memory (optionally cut per node).
final class InProcessNetwork: PeerSender {
    private let nodes = Mutex<[NodeID: Node]>([:])
    private let isolated = Mutex<Set<NodeID>>([])

    func add(_ node: Node) { nodes.withLock { $0[node.configuration.nodeID] = node } }
    func remove(_ id: NodeID) { _ = nodes.withLock { $0.removeValue(forKey: id) } }
    func isolate(_ id: NodeID, _ cut: Bool) { isolated.withLock { if cut { $0.insert(id) } else { $0.remove(id) } } }

    func send(partition: PartitionID, _ envelope: Envelope) {
        let blocked = isolated.withLock { $0.contains(envelope.from) || $0.contains(envelope.to) }
        guard !blocked, let node = nodes.withLock({ $0[envelope.to] }) else { return }
        node.deliver(partition: partition, envelope)
    }
}

/// A node and the task running it.
struct RunningNode {
    let node: Node
    let task: Task<Void, Never>

    func stop() async {
        node.shutdown()
        await task.value
    }
}

enum TestNodes {
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "iris-node-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func start(_ configuration: NodeConfiguration, network: InProcessNetwork) throws -> RunningNode {
        let node = try Node(configuration: configuration, sender: network, logger: quiet)
        network.add(node)
        let task = Task { await node.run() }
        return RunningNode(node: node, task: task)
    }

    /// Appends until an answer is final and not a redirect, asking each node in turn; bounded.
    static func append(_ value: String, partition: PartitionID, nodes: [Node], producer: UInt64 = 0, sequence: UInt64 = 0) async -> PartitionAnswer {
        var answer = PartitionAnswer.unavailable("not tried")
        for attempt in 0..<400 {
            let node = nodes[attempt % nodes.count]
            answer = await node.append(partition: partition, records: [Record(value: Array(value.utf8))], producer: producer, sequence: sequence)
            switch answer {
            case .appended: return answer
            case .notLeader, .unavailable, .overloaded, .outcomeUnknown:
                try? await Task.sleep(for: .milliseconds(25))
            case .tooLarge, .sequenceTooOld:
                return answer
            }
        }
        return answer
    }
}

@Suite("Nodes in one process")
struct InProcessNodeTests {
    @Test("a single node elects itself, commits appends on its own fsync and serves them back after a restart")
    func singleNode() async throws {
        let data = TestNodes.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let configuration = NodeConfiguration(
            dataDirectory: data, nodeID: NodeID(1), members: [NodeID(1): Endpoint(host: "127.0.0.1", port: 7100)],
            partitionCount: 2, replicaCount: 1)
        let network = InProcessNetwork()
        var running = try TestNodes.start(configuration, network: network)
        var offsets: [Offset] = []
        for index in 0..<20 {
            let answer = await TestNodes.append("value-\(index)", partition: PartitionID(1), nodes: [running.node])
            guard case .appended(let first, let count) = answer else {
                Issue.record("append \(index): \(answer)")
                return
            }
            #expect(count == 1)
            offsets.append(first)
        }
        #expect(offsets == offsets.sorted() && Set(offsets).count == 20)
        await running.stop()
        network.remove(NodeID(1))

        running = try TestNodes.start(configuration, network: network)
        let replica = try #require(running.node.replicas[PartitionID(1)])
        // Committed again once the restarted leader commits an entry of its new term.
        let read = try await replica.readCommitted(from: Offset(0), maxBytes: 1 << 20, waitTicks: 200)
        let values = read.records.filter { !$0.headers.contains { $0.name.hasPrefix("iris.") } }.map { String(decoding: $0.value, as: UTF8.self) }
        #expect(values == (0..<20).map { "value-\($0)" })
        #expect(read.records.first { String(decoding: $0.value, as: UTF8.self) == "value-7" }?.offset == offsets[7])
        await running.stop()
    }

    @Test("a producer's retried append lands once, even after the leader changes")
    func idempotentRetryAcrossLeaders() async throws {
        let cluster = try ThreeNodes()
        defer { cluster.removeData() }
        let running = try cluster.startAll()
        let nodes = running.map(\.node)
        let first = await TestNodes.append("once", partition: PartitionID(0), nodes: nodes, producer: 42, sequence: 1)
        guard case .appended(let offset, 1) = first else {
            Issue.record("first append: \(first)")
            return
        }
        let retry = await TestNodes.append("once", partition: PartitionID(0), nodes: nodes, producer: 42, sequence: 1)
        #expect(retry == first)
        // Depose the leader: cut it off until another leader is elected, then retry again.
        let leader = try #require(nodes.first { $0.status(of: PartitionID(0))?.role == .leader })
        cluster.network.isolate(leader.configuration.nodeID, true)
        let others = nodes.filter { $0 !== leader }
        let afterChange = await TestNodes.append("once", partition: PartitionID(0), nodes: others, producer: 42, sequence: 1)
        #expect(afterChange == .appended(first: offset, count: 1))
        let next = await TestNodes.append("twice", partition: PartitionID(0), nodes: others, producer: 42, sequence: 2)
        guard case .appended(let nextOffset, 1) = next else {
            Issue.record("next append: \(next)")
            return
        }
        #expect(nextOffset > offset)
        cluster.network.isolate(leader.configuration.nodeID, false)
        for node in running { await node.stop() }
        // Every replica holds "once" exactly once.
        for node in nodes {
            let log = try Log.open(directory: "\(node.configuration.dataDirectory)/partitions/0", configuration: readOnly())
            let values = try log.read(from: Offset(0), maxBytes: 1 << 20).map { String(decoding: $0.value, as: UTF8.self) }
            #expect(values.filter { $0 == "once" }.count <= 1)
            await log.close()
        }
    }

    @Test("concurrent appends are sealed together, each answered with its own records' offsets; a retry racing its original lands once")
    func concurrentAppendsShareFrames() async throws {
        let data = TestNodes.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let configuration = NodeConfiguration(
            dataDirectory: data, nodeID: NodeID(1), members: [NodeID(1): Endpoint(host: "127.0.0.1", port: 7100)],
            partitionCount: 1, replicaCount: 1)
        let network = InProcessNetwork()
        let running = try TestNodes.start(configuration, network: network)
        let warmup = await TestNodes.append("warm", partition: PartitionID(0), nodes: [running.node])
        guard case .appended = warmup else {
            Issue.record("warm-up append: \(warmup)")
            return
        }
        let node = running.node
        // 300 producers append two records each at once; producer 7 sends its sequence twice.
        let answers = await withTaskGroup(of: (String, PartitionAnswer).self) { group in
            for index in 0..<300 {
                group.addTask {
                    let records = [Record(value: Array("a\(index)".utf8)), Record(value: Array("b\(index)".utf8))]
                    return ("\(index)", await node.append(partition: PartitionID(0), records: records, producer: UInt64(index + 1), sequence: 1))
                }
            }
            group.addTask {
                let records = [Record(value: Array("a6".utf8)), Record(value: Array("b6".utf8))]
                return ("6-retry", await node.append(partition: PartitionID(0), records: records, producer: 7, sequence: 1))
            }
            var answers: [String: PartitionAnswer] = [:]
            for await (key, answer) in group { answers[key] = answer }
            return answers
        }
        #expect(answers["6-retry"] == answers["6"])
        let replica = try #require(node.replicas[PartitionID(0)])
        let read = try await replica.readCommitted(from: Offset(0), maxBytes: 64 << 20, waitTicks: 40)
        let byOffset = Dictionary(uniqueKeysWithValues: read.records.map { ($0.offset, String(decoding: $0.value, as: UTF8.self)) })
        for index in 0..<300 {
            guard case .appended(let first, let count) = answers["\(index)"] else {
                Issue.record("append \(index): \(String(describing: answers["\(index)"]))")
                continue
            }
            #expect(count == 2)
            #expect(byOffset[first] == "a\(index)" && byOffset[first.advanced(by: 1)] == "b\(index)")
        }
        #expect(byOffset.values.filter { $0 == "a6" }.count == 1)
        let frames = try replica.log.readFrames(from: Offset(0), maxBytes: 64 << 20)
        #expect(frames.count < 100, "300 concurrent appends took \(frames.count) frames: not batched")
        await running.stop()
    }

    func readOnly() -> LogConfiguration {
        var configuration = LogConfiguration()
        configuration.readOnly = true
        return configuration
    }
}

/// Three nodes, one partition, all replicas on all nodes.
struct ThreeNodes {
    let network = InProcessNetwork()
    let configurations: [NodeConfiguration]

    init(partitions: Int = 1, balanceTicks: Int = 80) throws {
        let members = Dictionary(uniqueKeysWithValues: (1...3).map { (NodeID(UInt64($0)), Endpoint(host: "127.0.0.1", port: 7100 + $0)) })
        configurations = (1...3).map { id in
            var configuration = NodeConfiguration(
                dataDirectory: TestNodes.temporaryDirectory(), nodeID: NodeID(UInt64(id)), members: members,
                partitionCount: partitions, replicaCount: 3)
            configuration.leaderBalanceIntervalTicks = balanceTicks
            return configuration
        }
    }

    func startAll() throws -> [RunningNode] {
        try configurations.map { try TestNodes.start($0, network: network) }
    }

    func removeData() {
        for configuration in configurations { try? FileManager.default.removeItem(atPath: configuration.dataDirectory) }
    }
}

@Suite("Leader balancing")
struct LeaderBalancingTests {
    /// The leader of every partition, as the nodes see it; nil where unknown or split.
    static func leaders(_ nodes: [Node], partitions: Int) -> [NodeID?] {
        (0..<partitions).map { index in
            let seen = Set(nodes.compactMap { node -> NodeID? in
                guard let status = node.status(of: PartitionID(UInt32(index))), status.role == .leader else { return nil }
                return node.configuration.nodeID
            })
            return seen.count == 1 ? seen.first : nil
        }
    }

    @Test("leaderships settle on the preferred leaders (at most ⌈P/N⌉ per node) and return to a node that comes back")
    func leadershipsFollowPreferredLeaders() async throws {
        let partitions = 6
        let cluster = try ThreeNodes(partitions: partitions, balanceTicks: 8)
        defer { cluster.removeData() }
        var running = try cluster.startAll()
        let placement = running[0].node.placement
        let preferred = (0..<partitions).map { Optional(placement.preferredLeader(of: PartitionID(UInt32($0)))) }
        var settled = false
        for _ in 0..<200 where !settled {
            try await Task.sleep(for: .milliseconds(50))
            settled = Self.leaders(running.map(\.node), partitions: partitions) == preferred
        }
        #expect(settled, "leaders \(Self.leaders(running.map(\.node), partitions: partitions)) never matched \(preferred)")
        for node in cluster.configurations.map(\.nodeID) {
            #expect(preferred.count { $0 == node } <= (partitions + 2) / 3)
        }
        // Node 1 goes away: others take its partitions; when it comes back, it gets them back.
        await running[0].stop()
        cluster.network.remove(NodeID(1))
        var takenOver = false
        for _ in 0..<200 where !takenOver {
            try await Task.sleep(for: .milliseconds(50))
            takenOver = Self.leaders(Array(running.map(\.node).dropFirst()), partitions: partitions).allSatisfy { $0 != nil }
        }
        #expect(takenOver)
        running[0] = try TestNodes.start(cluster.configurations[0], network: cluster.network)
        settled = false
        for _ in 0..<300 where !settled {
            try await Task.sleep(for: .milliseconds(50))
            settled = Self.leaders(running.map(\.node), partitions: partitions) == preferred
        }
        #expect(settled, "after the restart: \(Self.leaders(running.map(\.node), partitions: partitions)) vs \(preferred)")
        for node in running { await node.stop() }
    }
}
