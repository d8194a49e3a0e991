import IrisLog
import IrisNode
import IrisReplication
import IrisTransport
import Logging

/// A running node: the partitions it hosts (each a replica with its own loop), the clock that
/// ticks them, and the answers to clients (SPEC.md §14). The transport feeds it peer messages
/// (`deliver(partition:_:)`) and client requests.
package final class Node: Sendable {
    /// What the node was started with.
    package let configuration: NodeConfiguration
    /// Where every partition's replicas and preferred leader are.
    package let placement: Placement
    let replicas: [PartitionID: PartitionReplica]
    let logger: Logger
    let metrics = NodeMetrics()

    /// Opens the data directory and every partition hosted here; nothing runs until `run()`.
    ///
    /// - Throws: `NodeError` naming what to fix (another cluster's directory, a damaged file,
    ///   an invalid placement).
    init(configuration: NodeConfiguration, sender: any PeerSender, logger: Logger) throws(NodeError) {
        guard configuration.members[configuration.nodeID] != nil else {
            throw .invalidConfiguration("node \(configuration.nodeID) is not in --cluster")
        }
        let placement: Placement
        do {
            placement = try Placement(
                nodes: configuration.members.keys, partitionCount: configuration.partitionCount,
                replicaCount: configuration.replicaCount)
        } catch {
            throw .invalidConfiguration("\(error)")
        }
        self.configuration = configuration
        self.placement = placement
        self.logger = logger
        self.replicas = try PartitionSet.open(configuration: configuration, placement: placement, sender: sender, metrics: metrics, logger: logger)
    }

    /// Runs every partition's loop and the clock until `shutdown()`; then closes the logs.
    /// Partition K's loop runs on `executors[K % executors.count]` (its feed runs there too,
    /// `MQTTRouter`), on Swift's global executor when there is none.
    func run(on executors: [EventLoopTaskExecutor] = []) async {
        await withTaskGroup(of: Void.self) { group in
            for replica in replicas.values {
                group.addTask(executorPreference: executors.executor(for: Int(replica.partition.rawValue))) { await replica.run() }
            }
            group.addTask { [self] in await tick() }
        }
        for replica in replicas.values {
            if let failure = await replica.log.close() {
                logger.error("partition \(replica.partition): closing its log: \(failure)")
            }
        }
    }

    /// Stops taking events: each partition finishes what is queued, answers what waits, and
    /// its loop ends.
    func shutdown() {
        for replica in replicas.values { replica.mailbox.close() }
    }

    private func tick() async {
        let interval = Duration.milliseconds(configuration.tickMilliseconds)
        while true {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            if replicas.values.allSatisfy({ $0.mailbox.isClosed }) { return }
            for replica in replicas.values { replica.mailbox.offer(.tick) }
        }
    }

    /// A peer's message for `partition`; dropped when the partition is not hosted here or its
    /// mailbox is full (the protocol tolerates loss).
    func deliver(partition: PartitionID, _ envelope: Envelope) {
        replicas[partition]?.mailbox.offer(.receive(envelope))
    }

    /// Appends `records` to `partition`, idempotently when `producer` is not 0; answers once
    /// committed on a quorum, or with why not.
    func append(partition: PartitionID, records: [Record], producer: UInt64, sequence: UInt64) async -> PartitionAnswer {
        await withCheckedContinuation { continuation in
            enqueueAppend(partition: partition, records: records, producer: producer, sequence: sequence) { answer in
                continuation.resume(returning: answer)
            }
        }
    }

    /// Queues an append now, so appends queued one after another by one caller commit in that
    /// order; `answer` runs once, on the partition's loop, when it is committed or refused.
    func enqueueAppend(partition: PartitionID, records: [Record], producer: UInt64 = 0, sequence: UInt64 = 0, answer: @escaping AppendAnswer) {
        guard let replica = replicas[partition] else {
            answer(.notLeader(placement.preferredLeader(of: partition)))
            return
        }
        let call = AppendCall(records: records, producer: producer, sequence: sequence, answer: answer)
        // Bounded like peer messages: a flooded partition answers "overloaded".
        if !replica.mailbox.offer(.append(call)) {
            answer(replica.mailbox.isClosed ? .unavailable("partition \(partition) is shutting down") : .overloaded)
        }
    }

    /// The node's view of a partition; nil when it is not hosted here.
    func status(of partition: PartitionID) -> ReplicaStatus? { replicas[partition]?.status }
}
