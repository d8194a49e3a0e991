import IrisClientProtocol
import IrisLog
import IrisTransport

/// A tiny in-memory model of a cluster for the client tests: one log per partition, a leader
/// node per partition, deduplication by (producer, partition, sequence) as SPEC.md §12.7 asks,
/// and counters the tests check.
actor FakeCluster {
    var logs: [UInt32: [LogRecord]]
    var leaders: [UInt32: String]
    var addresses: [String: String] = [:]
    var appended: [String: (Offset, UInt32)] = [:]
    var appendCalls: [String: Int] = [:]
    var storedBatches = 0
    /// Appends that are stored but answered OUTCOME_UNKNOWN, as a leader losing its term would.
    var outcomeUnknownBudget = 0
    /// How long each append waits before it is handled (a slow disk).
    var appendDelay: Duration = .zero
    var appendsRunning = 0
    var appendsRunningMax = 0

    init(partitions: UInt32, leader: String) {
        logs = Dictionary(uniqueKeysWithValues: (0..<partitions).map { ($0, []) })
        leaders = Dictionary(uniqueKeysWithValues: (0..<partitions).map { ($0, leader) })
    }

    func register(node: String, address: String) { addresses[node] = address }
    func setLeader(_ node: String, of partition: UInt32) { leaders[partition] = node }
    func setOutcomeUnknownBudget(_ count: Int) { outcomeUnknownBudget = count }
    func setAppendDelay(_ delay: Duration) { appendDelay = delay }

    func append(_ request: AppendRequest, at node: String) async -> ClientAnswer {
        appendCalls[node, default: 0] += 1
        appendsRunning += 1
        appendsRunningMax = max(appendsRunningMax, appendsRunning)
        defer { appendsRunning -= 1 }
        if appendDelay > .zero { try? await Task.sleep(for: appendDelay) }
        guard let log = logs[request.partition], let leader = leaders[request.partition] else { return .unknownPartition }
        guard leader == node else { return .notLeader(LeaderHint(nodeID: nil, address: addresses[leader] ?? "")) }
        let key = "\(request.producerID)/\(request.partition)/\(request.sequence)"
        if let (first, count) = appended[key] { return .appended(firstOffset: first, count: count) }
        let first = Offset(UInt64(log.count))
        for (index, record) in request.records.enumerated() {
            logs[request.partition]!.append(LogRecord(
                offset: first.advanced(by: UInt64(index)), timestampMicroseconds: 1_000 + Int64(log.count + index), key: record.key,
                value: record.value, headers: record.headers, term: Term(1)))
        }
        storedBatches += 1
        appended[key] = (first, UInt32(request.records.count))
        if outcomeUnknownBudget > 0 {
            outcomeUnknownBudget -= 1
            return .outcomeUnknown
        }
        return .appended(firstOffset: first, count: UInt32(request.records.count))
    }

    func read(_ request: ReadRequest, at node: String) async -> ClientAnswer {
        let deadline = ContinuousClock.now + .milliseconds(Int(request.waitMilliseconds))
        while true {
            guard let log = logs[request.partition], let leader = leaders[request.partition] else { return .unknownPartition }
            guard leader == node else { return .notLeader(LeaderHint(nodeID: nil, address: addresses[leader] ?? "")) }
            if request.from.rawValue < UInt64(log.count) {
                var records: [LogRecord] = []
                var bytes = 0
                for record in log[Int(request.from.rawValue)...] where records.isEmpty || bytes + record.value.count <= Int(request.maxBytes) {
                    records.append(record)
                    bytes += record.value.count
                }
                return .records(RecordBatch(records: records, nextOffset: records.last!.offset.advanced(by: 1)))
            }
            if ContinuousClock.now >= deadline || Task.isCancelled { return .records(RecordBatch(records: [], nextOffset: request.from)) }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    func status(at node: String) -> ClusterStatus {
        let names = addresses.keys.sorted()
        return ClusterStatus(
            nodeID: UInt64(names.firstIndex(of: node) ?? 0) + 1,
            nodes: names.enumerated().map { NodeAddress(nodeID: UInt64($0.offset + 1), address: addresses[$0.element]!) },
            partitions: logs.keys.sorted().map { partition in
                let leader = leaders[partition]!
                return PartitionStatus(
                    partition: partition, leaderNodeID: UInt64(names.firstIndex(of: leader) ?? 0) + 1, leaderAddress: addresses[leader] ?? "",
                    term: Term(1), commitEnd: LogEnd(UInt64(logs[partition]!.count)), replicas: names.indices.map { UInt64($0 + 1) })
            })
    }
}

/// One node of the fake cluster, as the client connection handler sees it.
struct FakeNode: ClientService {
    let cluster: FakeCluster
    let name: String

    func append(_ request: AppendRequest) async -> ClientAnswer { await cluster.append(request, at: name) }
    func read(_ request: ReadRequest) async -> ClientAnswer { await cluster.read(request, at: name) }
    func status() async -> ClusterStatus { await cluster.status(at: name) }
}
