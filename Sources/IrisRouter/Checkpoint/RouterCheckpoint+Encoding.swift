import IrisLog
import IrisMQTT

extension RouterCheckpoint {
    /// The first four bytes of a checkpoint: "IRRC".
    static let magic: [UInt8] = Array("IRRC".utf8)

    /// The checkpoint as bytes (SPEC.md §16.8): equal states give equal bytes (sessions, topics,
    /// filters and packet IDs in increasing order), and a CRC32C of everything before it ends it.
    public func serialized() -> [UInt8] {
        var writer = CheckpointWriter()
        for byte in Self.magic { writer.write(byte) }
        writer.write(Self.version)
        writer.write(UInt32(partition))
        writer.write(UInt32(partitionCount))
        writer.write(position)
        writer.write(lastRecord != nil)
        if let lastRecord {
            writer.write(lastRecord.timestampMicroseconds)
            writer.write(lastRecord.checksum)
        }
        writer.writeBlob(index.serialized())
        let retainedTopics = retained.entries.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        writer.writeCount(retainedTopics.count)
        for topic in retainedTopics {
            let entry = retained.entries[topic]!
            writer.writeString(topic)
            writer.write(entry.offset)
            writer.write(entry.timestampMicroseconds)
            writer.write(entry.clears)
        }
        let clientIDs = sessions.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        writer.writeCount(clientIDs.count)
        for clientID in clientIDs { Self.write(sessions[clientID]!, to: &writer) }
        var bytes = writer.bytes
        withUnsafeBytes(of: CRC32C.checksum(bytes).littleEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    private static func write(_ session: Session, to writer: inout CheckpointWriter) {
        precondition(session.connection == nil && session.waiting.isEmpty && session.lagging.isEmpty && !session.catchingUp
            && session.unrecordedAcks == 0, "a replaying shard's sessions hold no connection state")
        writer.writeString(session.clientID)
        writer.write(session.epoch)
        writer.write(session.cleanSession)
        writer.write(session.open)
        writer.write(session.will != nil)
        if let will = session.will {
            writer.write(will.qos.rawValue)
            writer.write(will.retain)
            writer.writeString(will.topic.value)
            writer.writeBlob(will.payload)
        }
        writer.write(session.nextPacketID)
        let filters = session.subscriptions.keys.sorted { $0.value.utf8.lexicographicallyPrecedes($1.value.utf8) }
        writer.writeCount(filters.count)
        for filter in filters {
            writer.writeString(filter.value)
            writer.write(session.subscriptions[filter]!.rawValue)
        }
        writer.writeCount(session.inboundQoS2.count)
        for packetID in session.inboundQoS2.sorted() { writer.write(packetID) }
        for cursor in session.cursors { writer.write(cursor) }
        writer.writeCount(session.completedAbove.count)
        for reference in session.completedAbove.sorted() {
            writer.write(UInt32(reference.partition))
            writer.write(reference.offset)
        }
        writer.writeCount(session.flights.count)
        for packetID in session.flights.keys.sorted() {
            let flight = session.flights[packetID]!
            precondition(flight.stage != .assigning, "a replaying shard has no delivery waiting for its assignment")
            writer.write(packetID)
            writer.write(UInt32(flight.reference.partition))
            writer.write(flight.reference.offset)
            writer.write(flight.qos.rawValue)
            writer.write(flight.retained)
            writer.write(flight.stage == .pubrecReceived)
        }
    }
}
