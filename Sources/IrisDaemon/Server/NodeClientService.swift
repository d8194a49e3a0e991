import IrisClientProtocol
import IrisLog
import IrisNode
import IrisReplication
import IrisTransport

/// The client protocol's requests (SPEC.md §12) answered by a node's partitions.
struct NodeClientService: ClientService {
    let node: Node

    func append(_ request: IrisClientProtocol.AppendRequest) async -> ClientAnswer {
        let partition = PartitionID(request.partition)
        guard Int(request.partition) < node.configuration.partitionCount else { return .unknownPartition }
        let answer = await node.append(
            partition: partition, records: request.records, producer: request.producerID,
            sequence: request.producerID == 0 ? 0 : request.sequence)
        switch answer {
        case .appended(let first, let count): return .appended(firstOffset: first, count: UInt32(count))
        case .notLeader(let leader): return .notLeader(hint(leader, partition: partition))
        case .overloaded: return .overloaded
        case .tooLarge: return .tooLarge
        case .outcomeUnknown: return .outcomeUnknown
        case .sequenceTooOld: return .sequenceTooOld
        case .unavailable(let reason): return .unavailable(reason: reason)
        }
    }

    func read(_ request: ReadRequest) async -> ClientAnswer {
        let partition = PartitionID(request.partition)
        guard Int(request.partition) < node.configuration.partitionCount else { return .unknownPartition }
        guard let replica = node.replicas[partition] else {
            return .notLeader(hint(node.placement.preferredLeader(of: partition), partition: partition))
        }
        let ticks = (Int(request.waitMilliseconds) + node.configuration.tickMilliseconds - 1) / node.configuration.tickMilliseconds
        do {
            let read = try await replica.readCommitted(from: request.from, maxBytes: Int(request.maxBytes), waitTicks: ticks)
            let next = read.records.last.map { $0.offset.advanced(by: 1) } ?? request.from
            return .records(RecordBatch(records: read.records, nextOffset: next))
        } catch {
            return .unavailable(reason: "partition \(partition): \(error)")
        }
    }

    func status() async -> ClusterStatus {
        let configuration = node.configuration
        let nodes = configuration.members.keys.sorted().map { id in
            NodeAddress(nodeID: id.rawValue, address: configuration.members[id]!.description)
        }
        var partitions: [PartitionStatus] = []
        for index in 0..<configuration.partitionCount {
            let partition = PartitionID(UInt32(index))
            guard let status = node.status(of: partition) else { continue }
            let leader = status.leader
            partitions.append(PartitionStatus(
                partition: partition.rawValue, leaderNodeID: leader?.rawValue,
                leaderAddress: leader.flatMap { configuration.members[$0]?.description } ?? "",
                term: status.term, commitEnd: status.commitOffset,
                replicas: node.placement.replicas(of: partition).map(\.rawValue)))
        }
        return ClusterStatus(nodeID: configuration.nodeID.rawValue, nodes: nodes, partitions: partitions)
    }

    /// Where to redirect a client: the leader if known, with its address.
    private func hint(_ leader: NodeID?, partition: PartitionID) -> LeaderHint {
        LeaderHint(nodeID: leader?.rawValue, address: leader.flatMap { node.configuration.members[$0]?.description } ?? "")
    }
}
