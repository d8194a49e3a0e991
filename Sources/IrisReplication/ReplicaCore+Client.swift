import IrisLog

/// Client appends: admission control and typed results.
extension ReplicaCore {
    mutating func clientAppend(_ id: ClientRequestID, batch: EncodedBatch) {
        guard role == .leader else {
            actions.append(.clientResult(id, .notLeader(hint: leaderID)))
            return
        }
        guard batch.frameBytes <= configuration.frameBytesMax else {
            actions.append(.clientResult(id, .payloadTooLarge))
            return
        }
        guard pendingProposals.count < configuration.uncommittedAppendsMax else {
            // Bounded queue: refuse rather than buffer without limit.
            actions.append(.clientResult(id, .overloaded))
            return
        }
        let frame = sealAtEnd(batch)
        appendLocally([frame])
        pendingProposals.append((end: frame.end, first: frame.baseOffset, id: id))
        // Replicate in parallel with the local write; the leader's own copy counts
        // toward commit only after its fsync completes.
        for index in peers.indices { replicationWanted[index] = true }
    }
}

extension ReplicaCore {
    /// Name of the header on the marker record a new leader appends (Raft §5.4.2: an entry of
    /// its own term lets earlier entries commit). Its value is the leader's node ID, 8 bytes
    /// little-endian. Applications reading a replicated log skip records with this header.
    public static let termStartHeaderName = "iris.term-start"

    /// Seals `batch` as the leader's next frame: at the log's end, in the current term,
    /// chained to the last frame (written in an earlier step or in this one).
    mutating func sealAtEnd(_ batch: EncodedBatch) -> SealedFrame {
        precondition(role == .leader, "only a leader seals frames")
        return batch.sealed(baseOffset: lastOffset, term: hardState.term, previousCRC: knownLastFrame().crc)
    }

    /// CRC and timestamp of the log's last frame: remembered from the last append, read from
    /// the log only when a truncation (or a restart) made it unknown, so a leader does no
    /// read per client append.
    mutating func knownLastFrame() -> LastFrame {
        if let lastFrame { return lastFrame }
        let log = stepLog!
        precondition(log.lastOffset == lastOffset, "the log reader does not reflect the actions of earlier steps")
        let known = log.lastFrame.map(LastFrame.init) ?? LastFrame(crc: 0, timestampMicroseconds: 0)
        lastFrame = known
        return known
    }

    /// The marker frame a new leader appends at the start of its term.
    mutating func termStartFrame() -> SealedFrame {
        let timestamp = knownLastFrame().timestampMicroseconds
        let marker = Record(
            value: withUnsafeBytes(of: configuration.nodeID.rawValue.littleEndian) { Array($0) },
            headers: [RecordHeader(name: Self.termStartHeaderName, value: [])],
            timestampMicroseconds: timestamp)
        guard let batch = try? EncodedBatch(records: [marker], timestampMicroseconds: timestamp) else {
            preconditionFailure("a one-record batch always encodes")
        }
        return sealAtEnd(batch)
    }
}

/// The fields of a log's last frame that a leader's next frame depends on.
struct LastFrame: Sendable, Hashable {
    var crc: UInt32
    var timestampMicroseconds: Int64

    init(crc: UInt32, timestampMicroseconds: Int64) {
        self.crc = crc
        self.timestampMicroseconds = timestampMicroseconds
    }

    init(_ frame: SealedFrame) {
        self.init(crc: frame.crc, timestampMicroseconds: frame.baseTimestampMicroseconds)
    }
}
