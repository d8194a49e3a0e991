import IrisLog
import IrisMQTT
import Testing

@testable import IrisRouter

/// Router checkpoints (SPEC.md §16.8): a shard and feed restored from a checkpoint taken at any
/// point of a replay end in exactly the state of an uninterrupted replay, and the decoder
/// refuses, never traps on, anything `serialized()` could not have written.
@Suite struct RouterCheckpointTests {
    /// The logs of seeded random runs (sessions, subscriptions, QoS 2 flows, takeovers, crashes).
    static func runLogs(seed: UInt64) -> ModelLogs {
        var run = RandomRun(seed: seed, stepCount: 150)
        _ = run.run()
        return run.logs
    }

    @Test(arguments: 1...60)
    func restoringAtAnyPointEndsInTheUninterruptedState(seed: UInt64) throws {
        let logs = Self.runLogs(seed: seed)
        var random = SeededGenerator(seed: seed &* 7919)
        var uninterrupted = Replay(logs: logs)
        var restored = Replay(logs: logs)
        var checkpointsTaken = 0
        // The same batches for both; the second is checkpointed and restored after some of them.
        while let (partition, end) = uninterrupted.nextBatch(using: &random) {
            uninterrupted.deliver(partition, upTo: end)
            restored.deliver(partition, upTo: end)
            if random.chance(30) {
                let bytes = restored.checkpoint(partition).serialized()
                let decoded = try RouterCheckpoint(deserializing: bytes, partition: partition, partitionCount: logs.partitionCount)
                #expect(decoded.serialized() == bytes)
                restored.restore(decoded)
                checkpointsTaken += 1
            }
        }
        for partition in 0..<logs.partitionCount {
            #expect(restored.checkpoint(partition).serialized() == uninterrupted.checkpoint(partition).serialized(),
                "seed \(seed), partition \(partition), after \(checkpointsTaken) restores")
        }
    }

    @Test func aCheckpointHoldsTheSessionsAndTheirDeliveryState() throws {
        var sessionsFound = 0
        var flightsFound = 0
        var inboundFound = 0
        for seed in UInt64(1)...40 {
            let logs = Self.runLogs(seed: seed)
            var random = SeededGenerator(seed: seed)
            var replay = Replay(logs: logs)
            // Mid-replay too: at the end of a run every delivery is acknowledged.
            while let (partition, end) = replay.nextBatch(using: &random) {
                replay.deliver(partition, upTo: end)
                let checkpoint = replay.checkpoint(partition)
                let decoded = try RouterCheckpoint(deserializing: checkpoint.serialized(), partition: partition, partitionCount: logs.partitionCount)
                #expect(decoded.sessionCount == replay.cores[partition].sessionCount)
                #expect(decoded.index.offsetCount == replay.indexes[partition].offsetCount)
                #expect(decoded.retained.count == replay.retained[partition].count)
                #expect(decoded.position == end)
                sessionsFound += decoded.sessionCount
                flightsFound += decoded.sessions.values.reduce(0) { $0 + $1.flights.count }
                inboundFound += decoded.sessions.values.reduce(0) { $0 + $1.inboundQoS2.count }
            }
        }
        // The runs are rich enough to test something.
        #expect(sessionsFound > 40 && flightsFound > 0 && inboundFound > 0, "\(sessionsFound) sessions, \(flightsFound) flights, \(inboundFound) inbound")
    }

    @Test func refusesAnotherPartitionAndChecksItsCRC() throws {
        let logs = Self.runLogs(seed: 3)
        var replay = Replay(logs: logs)
        replay.deliverEverything()
        let bytes = replay.checkpoint(0).serialized()
        #expect(throws: RouterCheckpointError.wrongPartition(expected: 1, expectedCount: logs.partitionCount, found: 0, foundCount: logs.partitionCount)) {
            try RouterCheckpoint(deserializing: bytes, partition: 1, partitionCount: logs.partitionCount)
        }
        var flipped = bytes
        flipped[bytes.count / 2] ^= 0x10
        #expect(throws: RouterCheckpointError.checksumMismatch) {
            try RouterCheckpoint(deserializing: flipped, partition: 0, partitionCount: logs.partitionCount)
        }
        #expect(throws: RouterCheckpointError.notACheckpoint) { try RouterCheckpoint(deserializing: [], partition: 0, partitionCount: 1) }
        var version = bytes
        version[4] = 2
        #expect(throws: RouterCheckpointError.unsupportedVersion(2)) {
            try RouterCheckpoint(deserializing: version, partition: 0, partitionCount: logs.partitionCount)
        }
    }

    /// Mutations with the CRC made right again, so that every field check is reached: each input is
    /// refused with a typed error or is the canonical form of what it decodes to.
    @Test func mutatedCheckpointsAreRefusedOrCanonical() throws {
        var inputs: [(bytes: [UInt8], partition: Int, count: Int)] = []
        for seed in UInt64(1)...10 {
            let logs = Self.runLogs(seed: seed)
            var replay = Replay(logs: logs)
            replay.deliverEverything()
            for partition in 0..<logs.partitionCount where replay.cores[partition].sessionCount > 0 {
                inputs.append((replay.checkpoint(partition).serialized(), partition, logs.partitionCount))
            }
        }
        try #require(!inputs.isEmpty)
        var random = SeededGenerator(seed: 42)
        var refused = 0
        for round in 0..<20_000 {
            let input = inputs[round % inputs.count]
            var body = Array(input.bytes.dropLast(4))
            switch Int.random(in: 0..<4, using: &random) {
            case 0: body[Int.random(in: 0..<body.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            case 1: body[Int.random(in: 0..<body.count, using: &random)] ^= 1 << UInt8.random(in: 0..<8, using: &random)
            case 2: body.removeLast(Int.random(in: 1...min(16, body.count), using: &random))
            default: body.insert(UInt8.random(in: 0...255, using: &random), at: Int.random(in: 0...body.count, using: &random))
            }
            withUnsafeBytes(of: CRC32C.checksum(body).littleEndian) { body.append(contentsOf: $0) }
            do throws(RouterCheckpointError) {
                let decoded = try RouterCheckpoint(deserializing: body, partition: input.partition, partitionCount: input.count)
                #expect(decoded.serialized() == body, "round \(round): accepted input is not canonical")
            } catch {
                refused += 1
                #expect(!error.description.isEmpty)
            }
        }
        #expect(refused > 15_000, "only \(refused) of 20,000 mutations refused")
    }
}

/// A replay of model logs through replaying shards and per-partition feeds (index and retained
/// table), as `PartitionFeed` does in the node.
struct Replay {
    let logs: ModelLogs
    var cores: [ShardCore]
    var indexes: [TopicIndex]
    var retained: [RetainedTable]
    var positions: [UInt64]

    init(logs: ModelLogs) {
        self.logs = logs
        let count = logs.partitionCount
        cores = (0..<count).map { ShardCore(configuration: ShardConfiguration(partition: $0, partitionCount: count)) }
        indexes = Array(repeating: TopicIndex(), count: count)
        retained = Array(repeating: RetainedTable(), count: count)
        positions = Array(repeating: 0, count: count)
    }

    /// A partition with committed records left to read, and how far the next batch goes; nil at the end.
    func nextBatch(using random: inout SeededGenerator) -> (partition: Int, end: UInt64)? {
        let open = (0..<logs.partitionCount).filter { positions[$0] < logs.committedEnd[$0] }
        guard let partition = open.randomElement(using: &random) else { return nil }
        let left = logs.committedEnd[partition] - positions[partition]
        return (partition, positions[partition] + UInt64.random(in: 1...min(left, 12), using: &random))
    }

    mutating func deliverEverything() {
        for partition in 0..<logs.partitionCount { deliver(partition, upTo: logs.committedEnd[partition]) }
    }

    mutating func deliver(_ partition: Int, upTo end: UInt64) {
        let start = positions[partition]
        guard start < end else { return }
        var decoded: [(offset: UInt64, timestampMicroseconds: Int64, clientID: String, record: RouterRecord)] = []
        for offset in start..<end {
            guard let (clientID, record) = logs.decoded(partition, offset) else { continue }
            let timestamp = logs.records[partition][Int(offset)].timestampMicroseconds
            decoded.append((offset, timestamp, clientID, record))
            if case .message(let message) = record {
                indexes[partition].add(topic: message.topic.value, offset: offset)
                if message.retain {
                    retained[partition].add(topic: message.topic.value, offset: offset, timestampMicroseconds: timestamp, clears: message.payload.isEmpty)
                }
            }
        }
        positions[partition] = end
        let messagesOnly = decoded.filter { if case .message = $0.record { true } else { false } }
        for shard in cores.indices {
            let actions = cores[shard].handle(.committed(partition: partition, start: start, end: end, records: shard == partition ? decoded : messagesOnly))
            #expect(actions.isEmpty, "a replaying shard has nothing to do")
        }
    }

    func checkpoint(_ partition: Int) -> RouterCheckpoint {
        let position = positions[partition]
        let last = position == 0 ? nil : RecordStamp(logs.records[partition][Int(position - 1)])
        return RouterCheckpoint(ledger: cores[partition], position: position, lastRecord: last, index: indexes[partition], retained: retained[partition])
    }

    /// Continues from `checkpoint` as a restarted node does: its partition's feed and shard from it.
    mutating func restore(_ checkpoint: RouterCheckpoint) {
        let partition = checkpoint.partition
        indexes[partition] = checkpoint.index
        retained[partition] = checkpoint.retained
        cores[partition] = checkpoint.shard(configuration: cores[partition].configuration, feedPositions: positions)
    }
}
