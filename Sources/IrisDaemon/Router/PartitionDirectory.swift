import IrisClient
import IrisClientProtocol
import IrisReplication
import Synchronization

/// What this node knows of the partitions it does not host (SPEC.md §16.7): each one's leader
/// and commit end, from STATUS of the other nodes through the client protocol. Kept until the
/// next refresh: every `refreshInterval`, and soon after `requestRefresh()` (a relay that
/// failed, a leader not known).
final class PartitionDirectory: Sendable {
    /// How often the directory asks STATUS when nothing asked for it sooner.
    static let refreshInterval = Duration.seconds(2)

    /// One partition as the other nodes see it.
    struct Entry: Sendable, Equatable {
        /// The leader, if a node that hosts the partition knows one.
        var leader: NodeID?
        /// The highest commit end any of its replicas reported, once its leader reported one
        /// above 0 (commit offsets are volatile: after a restart a replica reports 0 until its
        /// leader's term-start marker commits, SPEC.md §9.3); nil before.
        var commitEnd: UInt64?
        /// When the STATUS round that saw this started.
        var sampled: ContinuousClock.Instant
    }

    private let client: IrisClient
    private let addresses: [String]
    private let partitions: Set<Int>
    private let entries = Mutex<[Int: Entry]>([:])
    private let wanted = Atomic<Bool>(true)

    /// A directory of `partitions`, asking STATUS of the nodes at `addresses` (client
    /// addresses, "host:port") through `client`.
    init(partitions: Set<Int>, addresses: [String], client: IrisClient) {
        self.partitions = partitions
        self.addresses = addresses
        self.client = client
    }

    /// The partition's leader as last seen; nil when unknown.
    func leader(of partition: Int) -> NodeID? { entries.withLock { $0[partition]?.leader } }

    /// The partition's commit end, if seen by a STATUS round that started after `instant`.
    func commitEnd(of partition: Int, sampledAfter instant: ContinuousClock.Instant) -> UInt64? {
        entries.withLock { entries in
            guard let entry = entries[partition], entry.sampled > instant else { return nil }
            return entry.commitEnd
        }
    }

    /// Asks for a STATUS round soon (`maintain` runs it).
    func requestRefresh() { wanted.store(true, ordering: .releasing) }

    /// One STATUS round: every node at once, each answer for the partitions it hosts; a
    /// partition keeps its last entry when no node answered for it.
    func refresh() async {
        let started = ContinuousClock.now
        let answers = await withTaskGroup(of: ClusterStatus?.self) { tasks in
            for address in addresses {
                tasks.addTask { [client] in try? await client.status(of: address) }
            }
            var answers: [ClusterStatus] = []
            for await answer in tasks { if let answer { answers.append(answer) } }
            return answers
        }
        var seen: [Int: (entry: Entry, term: UInt64, highest: UInt64, leaderReported: Bool)] = [:]
        for answer in answers {
            for status in answer.partitions where partitions.contains(Int(status.partition)) {
                let partition = Int(status.partition)
                var current = seen[partition] ?? (Entry(leader: nil, commitEnd: nil, sampled: started), 0, 0, false)
                current.highest = max(current.highest, status.commitEnd.rawValue)
                if let leader = status.leaderNodeID, leader != 0, status.term.rawValue >= current.term {
                    current.entry.leader = NodeID(leader)
                    current.term = status.term.rawValue
                }
                if status.leaderNodeID == answer.nodeID, status.commitEnd.rawValue > 0 { current.leaderReported = true }
                seen[partition] = current
            }
        }
        entries.withLock { entries in
            for (partition, value) in seen {
                var entry = value.entry
                entry.commitEnd = value.leaderReported ? value.highest : nil
                entries[partition] = entry
            }
        }
    }

    /// Refreshes every `refreshInterval`, and within about 50 ms of a request, while `running()`.
    func maintain(while running: @Sendable () -> Bool) async {
        var last = ContinuousClock.now - Self.refreshInterval
        while running() {
            if wanted.exchange(false, ordering: .acquiringAndReleasing) || ContinuousClock.now - last >= Self.refreshInterval {
                last = ContinuousClock.now
                await refresh()
            }
            do {
                try await Task.sleep(for: .milliseconds(50))
            } catch {
                return
            }
        }
    }
}
