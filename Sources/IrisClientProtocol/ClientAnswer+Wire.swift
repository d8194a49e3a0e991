import IrisLog

extension ClientAnswer {
    var kind: MessageKind {
        switch self {
        case .appended: .appended
        case .notLeader: .notLeader
        case .overloaded: .overloaded
        case .tooLarge: .tooLarge
        case .outcomeUnknown: .outcomeUnknown
        case .unknownPartition: .unknownPartition
        case .sequenceTooOld: .sequenceTooOld
        case .unavailable: .unavailable
        case .records: .records
        case .status: .statusAnswer
        }
    }

    func write(to writer: inout WireWriter) {
        writer.u16(kind.rawValue)
        switch self {
        case .appended(let firstOffset, let count):
            writer.u64(firstOffset.rawValue)
            writer.u32(count)
        case .notLeader(let hint):
            writer.u64(hint.nodeID ?? 0)
            writer.string(hint.address)
        case .unavailable(let reason):
            writer.string(reason)
        case .records(let batch):
            writer.u64(batch.nextOffset.rawValue)
            writer.u32(UInt32(batch.records.count))
            for record in batch.records {
                writer.u64(record.offset.rawValue)
                writer.u64(record.term.rawValue)
                writer.u64(UInt64(bitPattern: record.timestampMicroseconds))
                writer.recordContent(key: record.key, value: record.value, headers: record.headers)
            }
        case .status(let status):
            status.write(to: &writer)
        case .overloaded, .tooLarge, .outcomeUnknown, .unknownPartition, .sequenceTooOld:
            break
        }
    }

    static func read(_ kind: MessageKind, from reader: inout WireReader) throws(ClientProtocolError) -> ClientAnswer {
        switch kind {
        case .appended: return .appended(firstOffset: Offset(try reader.u64("first offset")), count: try reader.u32("count"))
        case .notLeader:
            let leader = try reader.u64("leader")
            return .notLeader(LeaderHint(nodeID: leader == 0 ? nil : leader, address: try reader.string("leader address")))
        case .overloaded: return .overloaded
        case .tooLarge: return .tooLarge
        case .outcomeUnknown: return .outcomeUnknown
        case .unknownPartition: return .unknownPartition
        case .sequenceTooOld: return .sequenceTooOld
        case .unavailable: return .unavailable(reason: try reader.string("reason"))
        case .records: return .records(try readRecords(from: &reader))
        case .statusAnswer: return .status(try ClusterStatus.read(from: &reader))
        default: throw .unexpectedKind(kind.rawValue)
        }
    }

    private static func readRecords(from reader: inout WireReader) throws(ClientProtocolError) -> RecordBatch {
        let nextOffset = Offset(try reader.u64("next offset"))
        let count = try reader.count(Int(try reader.u32("record count")), "record count", minimumBytes: 34, max: reader.limits.recordsMax)
        var records: [LogRecord] = []
        records.reserveCapacity(count)
        for _ in 0..<count {
            let offset = Offset(try reader.u64("offset"))
            let term = Term(try reader.u64("term"))
            let timestamp = Int64(bitPattern: try reader.u64("timestamp"))
            let content = try reader.recordContent()
            records.append(LogRecord(offset: offset, timestampMicroseconds: timestamp, key: content.key, value: content.value, headers: content.headers, term: term))
        }
        return RecordBatch(records: records, nextOffset: nextOffset)
    }
}

extension ClusterStatus {
    func write(to writer: inout WireWriter) {
        writer.u64(nodeID)
        writer.u32(UInt32(nodes.count))
        for node in nodes {
            writer.u64(node.nodeID)
            writer.string(node.address)
        }
        writer.u32(UInt32(partitions.count))
        for partition in partitions {
            writer.u32(partition.partition)
            writer.u64(partition.leaderNodeID ?? 0)
            writer.string(partition.leaderAddress)
            writer.u64(partition.term.rawValue)
            writer.u64(partition.commitEnd.rawValue)
            precondition(partition.replicas.count <= Int(UInt8.max), "more than 255 replicas")
            writer.u8(UInt8(partition.replicas.count))
            for replica in partition.replicas { writer.u64(replica) }
        }
    }

    static func read(from reader: inout WireReader) throws(ClientProtocolError) -> ClusterStatus {
        let nodeID = try reader.u64("node ID")
        let nodeCount = try reader.count(Int(try reader.u32("node count")), "node count", minimumBytes: 10, max: Int(UInt32.max))
        var nodes: [NodeAddress] = []
        nodes.reserveCapacity(nodeCount)
        for _ in 0..<nodeCount {
            let id = try reader.u64("node ID")
            nodes.append(NodeAddress(nodeID: id, address: try reader.string("node address")))
        }
        let partitionCount = try reader.count(Int(try reader.u32("partition count")), "partition count", minimumBytes: 31, max: Int(UInt32.max))
        var partitions: [PartitionStatus] = []
        partitions.reserveCapacity(partitionCount)
        for _ in 0..<partitionCount {
            let partition = try reader.u32("partition")
            let leader = try reader.u64("leader")
            let address = try reader.string("leader address")
            let term = Term(try reader.u64("term"))
            let commitEnd = LogEnd(try reader.u64("commit offset"))
            let replicaCount = try reader.count(Int(try reader.u8("replica count")), "replica count", minimumBytes: 8, max: Int(UInt8.max))
            var replicas: [UInt64] = []
            replicas.reserveCapacity(replicaCount)
            for _ in 0..<replicaCount { replicas.append(try reader.u64("replica")) }
            partitions.append(PartitionStatus(
                partition: partition, leaderNodeID: leader == 0 ? nil : leader, leaderAddress: address, term: term, commitEnd: commitEnd, replicas: replicas))
        }
        return ClusterStatus(nodeID: nodeID, nodes: nodes, partitions: partitions)
    }
}
