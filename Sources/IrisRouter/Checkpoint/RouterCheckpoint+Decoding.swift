import IrisLog
import IrisMQTT

extension RouterCheckpoint {
    /// Reads a checkpoint written by `serialized()` for `partition` of `partitionCount`.
    ///
    /// Strict: any input `serialized()` could not have written for that partition throws, naming
    /// the byte; none traps (SPEC.md §16.8). The CRC32C is checked first, then every field: client
    /// IDs of the partition in increasing order, valid topics and filters, QoS values, packet IDs,
    /// offsets below `position` for the retained table, one cursor per partition.
    /// - Throws: `RouterCheckpointError`.
    public init(deserializing bytes: [UInt8], partition: Int, partitionCount: Int) throws(RouterCheckpointError) {
        guard bytes.count >= Self.magic.count, bytes[0..<Self.magic.count].elementsEqual(Self.magic) else { throw .notACheckpoint }
        guard bytes.count >= Self.magic.count + 1 + 4 else { throw .truncated(position: bytes.count) }
        let version = bytes[Self.magic.count]
        guard version == Self.version else { throw .unsupportedVersion(version) }
        let body = bytes.count - 4
        let stored = bytes[body...].withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
        guard CRC32C.checksum(bytes[..<body]) == stored else { throw .checksumMismatch }
        var reader = CheckpointReader(bytes, from: Self.magic.count + 1, to: body)
        let foundPartition = Int(try reader.readUInt32())
        let foundCount = Int(try reader.readUInt32())
        guard foundPartition == partition, foundCount == partitionCount else {
            throw .wrongPartition(expected: partition, expectedCount: partitionCount, found: foundPartition, foundCount: foundCount)
        }
        let position = try reader.readUInt64()
        let stampPosition = reader.position
        var lastRecord: RecordStamp?
        if try reader.readFlag("last-record flag") {
            lastRecord = RecordStamp(timestampMicroseconds: try reader.readInt64(), checksum: try reader.readUInt32())
        }
        guard (position == 0) == (lastRecord == nil) else {
            throw .malformed(position: stampPosition, detail: "a last record must be named exactly when the position is above 0")
        }
        let indexPosition = reader.position
        let indexBytes = try reader.readBlob()
        let index: TopicIndex
        do throws(TopicIndexError) {
            index = try TopicIndex(deserializing: indexBytes)
        } catch {
            throw .index(error)
        }
        if let last = index.lastOffset, last >= position {
            throw .malformed(position: indexPosition, detail: "the index holds offset \(last), not below the position \(position)")
        }
        let retained = try Self.readRetained(&reader, below: position)
        let sessions = try Self.readSessions(&reader, partition: partition, partitionCount: partitionCount)
        guard reader.remaining == 0 else {
            throw .malformed(position: reader.position, detail: "\(reader.remaining) bytes after the last session")
        }
        self.init(
            partition: partition, partitionCount: partitionCount, position: position, lastRecord: lastRecord, index: index,
            retained: retained, sessions: sessions)
    }

    private static func readRetained(_ reader: inout CheckpointReader, below position: UInt64) throws(RouterCheckpointError) -> RetainedTable {
        var table = RetainedTable()
        var previous: String?
        // A topic of one byte, offset, timestamp and flag: 20 bytes at least.
        for _ in 0..<(try reader.readCount("retained count", itemBytes: 20)) {
            let start = reader.position
            let topic = try reader.readString("retained topic")
            guard (try? TopicName(validating: topic)) != nil else { throw .malformed(position: start, detail: "retained topic is not a valid topic name") }
            if let previous, !previous.utf8.lexicographicallyPrecedes(topic.utf8) {
                throw .malformed(position: start, detail: "retained topics not in strictly increasing byte order")
            }
            previous = topic
            let offset = try reader.readUInt64()
            guard offset < position else { throw .malformed(position: start, detail: "retained offset \(offset) is not below the position \(position)") }
            let timestamp = try reader.readInt64()
            table.add(topic: topic, offset: offset, timestampMicroseconds: timestamp, clears: try reader.readFlag("retained clear flag"))
        }
        return table
    }

    private static func readSessions(_ reader: inout CheckpointReader, partition: Int, partitionCount: Int) throws(RouterCheckpointError)
        -> [String: Session]
    {
        var sessions: [String: Session] = [:]
        var previous: String?
        // A client ID of one byte, epoch, flags, packet ID, four counts and the cursors.
        let minimumBytes = 3 + 8 + 3 + 2 + 16 + 8 * partitionCount
        for _ in 0..<(try reader.readCount("session count", itemBytes: minimumBytes)) {
            let start = reader.position
            let session = try readSession(&reader, partitionCount: partitionCount)
            guard ClientPlacement.partition(of: session.clientID, partitionCount: partitionCount) == partition else {
                throw .malformed(position: start, detail: "client ID \(session.clientID) belongs to another partition")
            }
            if let previous, !previous.utf8.lexicographicallyPrecedes(session.clientID.utf8) {
                throw .malformed(position: start, detail: "client IDs not in strictly increasing byte order")
            }
            previous = session.clientID
            sessions[session.clientID] = session
        }
        return sessions
    }

    private static func readSession(_ reader: inout CheckpointReader, partitionCount: Int) throws(RouterCheckpointError) -> Session {
        let start = reader.position
        let clientID = try reader.readString("client ID")
        guard !clientID.isEmpty else { throw .malformed(position: start, detail: "empty client ID") }
        let epochPosition = reader.position
        let epoch = try reader.readUInt64()
        guard epoch != 0 else { throw .malformed(position: epochPosition, detail: "session epoch 0 (epoch 0 is for wills)") }
        let clean = try reader.readFlag("clean-session flag")
        let open = try reader.readFlag("open flag")
        let will = try reader.readFlag("will flag") ? try readWill(&reader) : nil
        var session = Session(clientID: clientID, epoch: epoch, cleanSession: clean, will: will, cursors: [])
        session.open = open
        session.nextPacketID = try readPacketID(&reader, "next packet ID")
        var previousFilter: String?
        for _ in 0..<(try reader.readCount("subscription count", itemBytes: 4)) {
            let filterPosition = reader.position
            let text = try reader.readString("filter")
            guard let filter = try? TopicFilter(validating: text) else {
                throw .malformed(position: filterPosition, detail: "subscription filter is not a valid topic filter")
            }
            if let previousFilter, !previousFilter.utf8.lexicographicallyPrecedes(text.utf8) {
                throw .malformed(position: filterPosition, detail: "filters not in strictly increasing byte order")
            }
            previousFilter = text
            session.subscriptions[filter] = try readQoS(&reader, allowed: [.atMostOnce, .atLeastOnce, .exactlyOnce])
        }
        var previousID: UInt16 = 0
        for _ in 0..<(try reader.readCount("inbound QoS 2 count", itemBytes: 2)) {
            let idPosition = reader.position
            let id = try readPacketID(&reader, "inbound QoS 2 packet ID")
            guard id > previousID else { throw .malformed(position: idPosition, detail: "inbound packet IDs not strictly increasing") }
            previousID = id
            session.inboundQoS2.insert(id)
        }
        session.cursors = []
        for _ in 0..<partitionCount { session.cursors.append(try reader.readUInt64()) }
        var previousReference: MessageReference?
        for _ in 0..<(try reader.readCount("completed count", itemBytes: 12)) {
            let referencePosition = reader.position
            let reference = try readReference(&reader, partitionCount: partitionCount)
            if let previousReference, previousReference >= reference {
                throw .malformed(position: referencePosition, detail: "completed deliveries not in strictly increasing order")
            }
            previousReference = reference
            session.completedAbove.insert(reference)
        }
        previousID = 0
        for _ in 0..<(try reader.readCount("flight count", itemBytes: 17)) {
            let flightPosition = reader.position
            let id = try readPacketID(&reader, "flight packet ID")
            guard id > previousID else { throw .malformed(position: flightPosition, detail: "flight packet IDs not strictly increasing") }
            previousID = id
            let reference = try readReference(&reader, partitionCount: partitionCount)
            let qos = try readQoS(&reader, allowed: [.atLeastOnce, .exactlyOnce])
            let retain = try reader.readFlag("flight retain flag")
            let pubrec = try reader.readFlag("flight PUBREC flag")
            let assignment = Assignment(packetID: id, message: reference, qos: qos, retain: retain)
            session.flights[id] = Flight(assignment: assignment, message: nil, stage: pubrec ? .pubrecReceived : .published)
            session.flightReferences.insert(reference)
        }
        return session
    }

    private static func readWill(_ reader: inout CheckpointReader) throws(RouterCheckpointError) -> Will {
        let qos = try readQoS(&reader, allowed: [.atMostOnce, .atLeastOnce, .exactlyOnce])
        let retain = try reader.readFlag("will retain flag")
        let topicPosition = reader.position
        guard let topic = try? TopicName(validating: try reader.readString("will topic")) else {
            throw .malformed(position: topicPosition, detail: "will topic is not a valid topic name")
        }
        let payloadPosition = reader.position
        let payload = try reader.readBlob()
        guard payload.count <= Int(UInt16.max) else {
            throw .malformed(position: payloadPosition, detail: "will payload of \(payload.count) bytes (at most 65,535)")
        }
        return Will(topic: topic, payload: payload, qos: qos, retain: retain)
    }

    private static func readQoS(_ reader: inout CheckpointReader, allowed: [QoS]) throws(RouterCheckpointError) -> QoS {
        let position = reader.position
        let raw = try reader.readUInt8()
        guard let qos = QoS(rawValue: raw), allowed.contains(qos) else { throw .malformed(position: position, detail: "QoS \(raw) is not allowed here") }
        return qos
    }

    private static func readPacketID(_ reader: inout CheckpointReader, _ field: String) throws(RouterCheckpointError) -> UInt16 {
        let position = reader.position
        let id = try reader.readUInt16()
        guard id != 0 else { throw .malformed(position: position, detail: "\(field) 0") }
        return id
    }

    private static func readReference(_ reader: inout CheckpointReader, partitionCount: Int) throws(RouterCheckpointError) -> MessageReference {
        let position = reader.position
        let partition = Int(try reader.readUInt32())
        guard partition < partitionCount else {
            throw .malformed(position: position, detail: "partition \(partition) of a cluster of \(partitionCount)")
        }
        return MessageReference(partition: partition, offset: try reader.readUInt64())
    }
}
