import IrisLog

/// Client appends: admission control and typed results.
extension ReplicaCore {
    mutating func clientAppend(_ id: ClientRequestID, batch: EncodedBatch) {
        guard role == .leader else {
            actions.append(.clientResult(id, .notLeader(hint: leaderID)))
            return
        }
        if let target = transferTarget {
            // Handing over: the target must catch up with a log that stops growing.
            actions.append(.clientResult(id, .notLeader(hint: target)))
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
        if configuration.plantedBugs.contains(.notLeaderAfterAppend) {
            // PLANTED BUG: appended, then answered as if nothing had been (SPEC.md §9.10 rule 1).
            actions.append(.clientResult(id, .notLeader(hint: nil)))
            for index in peers.indices { replicationWanted[index] = true }
            return
        }
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
    /// chained to the last frame (written in an earlier step or in this one). The last frame
    /// is known without a read (`lastFrame`), so a leader does no read per client append.
    func sealAtEnd(_ batch: EncodedBatch) -> SealedFrame {
        precondition(role == .leader, "only a leader seals frames")
        return batch.sealed(baseOffset: lastOffset.nextRecord, term: hardState.term, previousCRC: lastFrame.crc)
    }

    /// The marker frame a new leader appends at the start of its term.
    func termStartFrame() -> SealedFrame {
        let timestamp = lastFrame.timestampMicroseconds
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

/// The fields of a log's last frame that a leader's next frame depends on, and where it ends.
struct LastFrame: Sendable, Hashable {
    var end: LogEnd
    var crc: UInt32
    var timestampMicroseconds: Int64

    /// An empty log: the first frame chains to CRC 0.
    static let emptyLog = LastFrame(end: .zero, crc: 0, timestampMicroseconds: 0)

    init(end: LogEnd, crc: UInt32, timestampMicroseconds: Int64) {
        self.end = end
        self.crc = crc
        self.timestampMicroseconds = timestampMicroseconds
    }

    init(_ frame: SealedFrame) {
        self.init(end: frame.end, crc: frame.crc, timestampMicroseconds: frame.baseTimestampMicroseconds)
    }
}
