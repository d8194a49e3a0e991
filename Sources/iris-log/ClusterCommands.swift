import Foundation
import IrisClient
import IrisClientProtocol
import IrisLog

/// The `--cluster` side of append, dump, tail and info (ARCHITECTURE §6): the same output
/// formats as on a directory, through `IrisClient`.
enum ClusterCommands {
    /// Whether `record` is one the system wrote for itself (a header named `iris.…`).
    static func isSystemRecord(_ record: LogRecord) -> Bool {
        record.headers.contains { $0.name.hasPrefix("iris.") }
    }

    /// Appends stdin's lines, each exactly once, printing each offset once committed.
    static func append(_ options: ClusterOptions) async throws {
        let client = try options.client()
        defer { Task { await client.close() } }
        let partition = options.partitionNumber
        try await appendInputLines(recordBytesMax: 1 << 20, groupBytesMax: 1 << 16) { records, lines in
            try await appendSplitting(records, lines: lines, to: partition, with: client)
        }
    }

    /// Appends `records`, halving a batch the partition refuses as too large (a refusal
    /// appends nothing, so the halves are new appends).
    private static func appendSplitting(_ records: [Record], lines: ClosedRange<Int>, to partition: UInt32, with client: IrisClient) async throws(ToolFailure) -> [UInt64] {
        do throws(IrisClientError) {
            let first = try await client.append(partition: partition, records: records)
            return (0..<UInt64(records.count)).map { first.rawValue + $0 }
        } catch {
            if case .tooLarge = error, records.count > 1 {
                let half = records.count / 2
                let head = try await appendSplitting(Array(records[..<half]), lines: lines.lowerBound...(lines.lowerBound + half - 1), to: partition, with: client)
                return head + (try await appendSplitting(Array(records[half...]), lines: (lines.lowerBound + half)...lines.upperBound, to: partition, with: client))
            }
            throw ToolFailure(code: 2, message: "append of input lines \(lines.lowerBound)...\(lines.upperBound) to partition \(partition): \(error.description)")
        }
    }

    /// Prints committed records from `from` on (at most `count`), skipping system records.
    static func dump(_ options: ClusterOptions, from: UInt64?, count: Int?, json: Bool) async throws {
        let client = try options.client()
        defer { Task { await client.close() } }
        var next = Offset(from ?? 0)
        var printed = 0
        let out = OutputBuffer()
        while count.map({ printed < $0 }) ?? true {
            let batch: RecordBatch
            do throws(IrisClientError) {
                batch = try await client.read(partition: options.partitionNumber, from: next)
            } catch {
                throw ToolFailure.io("reading partition \(options.partitionNumber) at offset \(next): \(error.description)")
            }
            if batch.records.isEmpty { break }
            for record in batch.records where !isSystemRecord(record) {
                if let count, printed >= count { break }
                if json { RecordFormat.json(record, into: out) } else { RecordFormat.line(record, offsetWidth: 8, into: out) }
                printed += 1
                try out.flushIfFull()
            }
            try out.flush()
            next = batch.nextOffset
        }
    }

    /// Follows committed records from `from` (default: the current commit offset) on.
    static func tail(_ options: ClusterOptions, from: UInt64?, count: Int?, json: Bool) async throws {
        let client = try options.client()
        defer { Task { await client.close() } }
        let start: Offset
        if let from { start = Offset(from) } else { start = try await newestStatus(client, options).partitions.first { $0.partition == options.partitionNumber }.map { $0.commitEnd.nextRecord } ?? Offset(0) }
        var printed = 0
        var records = client.follow(partition: options.partitionNumber, from: start).makeAsyncIterator()
        while true {
            let next: LogRecord?
            do throws(IrisClientError) {
                next = try await records.next()
            } catch {
                throw ToolFailure.io("following partition \(options.partitionNumber): \(error.description)")
            }
            guard let record = next else { return }
            if isSystemRecord(record) { continue }
            let out = OutputBuffer(capacity: 4096)
            if json { RecordFormat.json(record, into: out) } else { RecordFormat.line(record, offsetWidth: 8, into: out) }
            try out.flush()
            printed += 1
            if let count, printed >= count { return }
        }
    }

    /// Each partition's leader, term, commit offset and replicas.
    static func info(_ options: ClusterOptions, json: Bool) async throws {
        let client = try options.client()
        defer { Task { await client.close() } }
        let status = try await newestStatus(client, options)
        if json {
            try Output.out(JSON.object([
                ("nodes", .array(status.nodes.map { .object([("id", .uint($0.nodeID)), ("address", .string($0.address))]) })),
                ("partitions", .array(status.partitions.map { partition in
                    .object([
                        ("partition", .uint(UInt64(partition.partition))), ("leader", partition.leaderNodeID.map { .uint($0) } ?? .null),
                        ("leader_address", .string(partition.leaderAddress)), ("term", .uint(partition.term.rawValue)),
                        ("commit_offset", .uint(partition.commitEnd.rawValue)), ("replicas", .array(partition.replicas.map { .uint($0) })),
                    ])
                })),
            ]).text + "\n")
            return
        }
        var rows = [["PARTITION", "LEADER", "ADDRESS", "TERM", "COMMIT OFFSET", "REPLICAS"]]
        for partition in status.partitions {
            rows.append([String(partition.partition), partition.leaderNodeID.map(String.init) ?? "-", partition.leaderAddress.isEmpty ? "-" : partition.leaderAddress,
                         String(partition.term.rawValue), String(partition.commitEnd.rawValue), partition.replicas.map(String.init).joined(separator: ",")])
        }
        let nodes = status.nodes.map { "\($0.nodeID)=\($0.address)" }.joined(separator: ",")
        try Output.out("nodes  \(nodes)\n\n" + table(rows, rightAligned: [0, 1, 3, 4]))
    }

    /// Every endpoint's status merged: per partition the answer with the highest term (then
    /// the highest commit offset); fails when no endpoint answers.
    static func newestStatus(_ client: IrisClient, _ options: ClusterOptions) async throws(ToolFailure) -> ClusterStatus {
        var merged: [UInt32: PartitionStatus] = [:]
        var nodes: [UInt64: NodeAddress] = [:]
        var problems: [String] = []
        var answering: UInt64 = 0
        for endpoint in options.endpoints ?? [] {
            do throws(IrisClientError) {
                let status = try await client.status(of: endpoint)
                answering = status.nodeID
                for node in status.nodes { nodes[node.nodeID] = node }
                for partition in status.partitions {
                    if let known = merged[partition.partition], (known.term, known.commitEnd) >= (partition.term, partition.commitEnd) { continue }
                    merged[partition.partition] = partition
                }
            } catch {
                problems.append("\(endpoint): \(error.description)")
            }
        }
        if merged.isEmpty && nodes.isEmpty { throw ToolFailure.io("no node answered: " + problems.joined(separator: "; ")) }
        return ClusterStatus(nodeID: answering, nodes: nodes.keys.sorted().map { nodes[$0]! }, partitions: merged.keys.sorted().map { merged[$0]! })
    }
}
