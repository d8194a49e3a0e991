import IrisLog
import IrisMQTT

/// The kinds of records the router writes (SPEC.md §16.2); the byte is the value of the
/// `iris.mqtt` header.
public enum RouterRecordKind: UInt8, Sendable, CustomStringConvertible {
    /// The kinds, by the byte that names them.
    case message = 1, connect = 2, subscribe = 3, unsubscribe = 4, released = 5, assigned = 6, pubrecReceived = 7,
        cursor = 8, closed = 9

    /// The kind's name, for log lines.
    public var description: String {
        switch self {
        case .message: "message"
        case .connect: "connect"
        case .subscribe: "subscribe"
        case .unsubscribe: "unsubscribe"
        case .released: "released"
        case .assigned: "assigned"
        case .pubrecReceived: "pubrec-received"
        case .cursor: "cursor"
        case .closed: "closed"
        }
    }
}

/// A message as published: stored once, in the partition of its publisher's client ID.
public struct MessageRecord: Sendable, Equatable {
    /// The publisher's connection epoch (0 for a will published for a session).
    public var epoch: UInt64
    /// The publisher's packet ID (0 for QoS 0 and wills): inbound QoS 2 de-duplication.
    public var packetID: UInt16
    /// The QoS it was published with.
    public var qos: QoS
    /// The RETAIN flag it was published with.
    public var retain: Bool
    /// Its topic.
    public var topic: TopicName
    /// Its payload.
    public var payload: [UInt8]

    /// A message record; see the properties.
    public init(epoch: UInt64, packetID: UInt16, qos: QoS, retain: Bool, topic: TopicName, payload: [UInt8]) {
        self.epoch = epoch
        self.packetID = packetID
        self.qos = qos
        self.retain = retain
        self.topic = topic
        self.payload = payload
    }
}

/// One outbound QoS 2 delivery bound to a packet ID before its PUBLISH is sent.
public struct Assignment: Sendable, Equatable {
    /// The session's packet ID for it.
    public var packetID: UInt16
    /// The message delivered.
    public var message: MessageReference
    /// The QoS it is delivered at.
    public var qos: QoS
    /// A retained copy (sent for a new subscription), not a live one.
    public var retain: Bool
}

/// Where a stored message is: its partition and offset.
public struct MessageReference: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The partition that stores it.
    public var partition: Int
    /// Its offset there.
    public var offset: UInt64

    /// The message at `offset` of `partition`.
    public init(partition: Int, offset: UInt64) {
        self.partition = partition
        self.offset = offset
    }

    /// By partition, then offset.
    public static func < (a: Self, b: Self) -> Bool { (a.partition, a.offset) < (b.partition, b.offset) }
    /// "PARTITION@OFFSET".
    public var description: String { "\(partition)@\(offset)" }
}

/// A session's delivery state as of one record: per partition, every matching message below the
/// cursor is handled, except those still in flight; completed QoS 2 deliveries above it.
public struct CursorSnapshot: Sendable, Equatable {
    /// Per partition, the cursor.
    public var cursors: [UInt64]
    /// QoS 2 deliveries completed at or above their partition's cursor.
    public var completedAbove: [MessageReference]
    /// Outbound QoS 2 deliveries in flight: assigned, and whether PUBREC came.
    public var inFlight: [(assignment: Assignment, pubrecReceived: Bool)]

    /// A snapshot; see the properties.
    public init(cursors: [UInt64], completedAbove: [MessageReference], inFlight: [(assignment: Assignment, pubrecReceived: Bool)]) {
        self.cursors = cursors
        self.completedAbove = completedAbove
        self.inFlight = inFlight
    }

    /// Field by field (tuples are not `Equatable`).
    public static func == (a: Self, b: Self) -> Bool {
        a.cursors == b.cursors && a.completedAbove == b.completedAbove
            && a.inFlight.map(\.assignment) == b.inFlight.map(\.assignment)
            && a.inFlight.map(\.pubrecReceived) == b.inFlight.map(\.pubrecReceived)
    }
}

/// A subscription as recorded: the filter, the QoS asked for and what was granted.
public struct RecordedSubscription: Sendable, Equatable {
    /// The filter asked for.
    public var filter: TopicFilter
    /// What SUBACK answered for it.
    public var granted: SubscribeReturnCode
}

/// Every record the router writes, in the partition of the client ID it concerns (SPEC.md §16.2).
public enum RouterRecord: Sendable, Equatable {
    /// A message as published (or a will).
    case message(MessageRecord)
    /// A connection took the session: a fresh epoch (random), clean flag and will.
    case connect(epoch: UInt64, cleanSession: Bool, will: Will?)
    /// A SUBSCRIBE: what was granted or refused per filter, in order.
    case subscribe(epoch: UInt64, packetID: UInt16, subscriptions: [RecordedSubscription])
    /// An UNSUBSCRIBE.
    case unsubscribe(epoch: UInt64, packetID: UInt16, filters: [TopicFilter])
    /// Inbound QoS 2: the client released the packet ID (PUBREL).
    case released(epoch: UInt64, packetID: UInt16)
    /// Outbound QoS 2: packet IDs bound to messages before their PUBLISH goes out.
    case assigned(epoch: UInt64, assignments: [Assignment])
    /// Outbound QoS 2: PUBREC arrived for these packet IDs; PUBREL (never PUBLISH) follows.
    case pubrecReceived(epoch: UInt64, packetIDs: [UInt16])
    /// Delivery progress (acknowledgements, batched).
    case cursor(epoch: UInt64, CursorSnapshot)
    /// The connection of `epoch` ended; a clean session ends with it.
    case closed(epoch: UInt64, graceful: Bool, CursorSnapshot)

    /// The header that marks router records and names their kind.
    public static let headerName = "iris.mqtt"

    /// The record's kind.
    public var kind: RouterRecordKind {
        switch self {
        case .message: .message
        case .connect: .connect
        case .subscribe: .subscribe
        case .unsubscribe: .unsubscribe
        case .released: .released
        case .assigned: .assigned
        case .pubrecReceived: .pubrecReceived
        case .cursor: .cursor
        case .closed: .closed
        }
    }

    /// The log record: key = client ID, value = the body, header `iris.mqtt` = kind.
    public func logRecord(clientID: String) -> Record {
        var writer = RecordBytesWriter()
        switch self {
        case .message(let message):
            writer.write(message.epoch)
            writer.write(message.packetID)
            writer.write(message.qos.rawValue)
            writer.write(UInt8(message.retain ? 1 : 0))
            writer.writeString(message.topic.value)
            writer.writeBlob(message.payload)
        case .connect(let epoch, let clean, let will):
            writer.write(epoch)
            writer.write(UInt8(clean ? 1 : 0))
            if let will {
                writer.write(UInt8(1))
                writer.write(will.qos.rawValue)
                writer.write(UInt8(will.retain ? 1 : 0))
                writer.writeString(will.topic.value)
                writer.writeBlob(will.payload)
            } else {
                writer.write(UInt8(0))
            }
        case .subscribe(let epoch, let packetID, let subscriptions):
            writer.write(epoch)
            writer.write(packetID)
            writer.write(UInt16(subscriptions.count))
            for subscription in subscriptions {
                writer.writeString(subscription.filter.value)
                writer.write(subscription.granted.rawValue)
            }
        case .unsubscribe(let epoch, let packetID, let filters):
            writer.write(epoch)
            writer.write(packetID)
            writer.write(UInt16(filters.count))
            for filter in filters { writer.writeString(filter.value) }
        case .released(let epoch, let packetID):
            writer.write(epoch)
            writer.write(packetID)
        case .assigned(let epoch, let assignments):
            writer.write(epoch)
            writer.write(UInt16(assignments.count))
            for assignment in assignments { Self.write(assignment, to: &writer) }
        case .pubrecReceived(let epoch, let packetIDs):
            writer.write(epoch)
            writer.write(UInt16(packetIDs.count))
            for id in packetIDs { writer.write(id) }
        case .cursor(let epoch, let snapshot):
            writer.write(epoch)
            Self.write(snapshot, to: &writer)
        case .closed(let epoch, let graceful, let snapshot):
            writer.write(epoch)
            writer.write(UInt8(graceful ? 1 : 0))
            Self.write(snapshot, to: &writer)
        }
        return Record(value: writer.bytes, key: Array(clientID.utf8), headers: [RecordHeader(name: Self.headerName, value: [kind.rawValue])])
    }

    /// The router record in a log record: nil when it is not one (no `iris.mqtt` header);
    /// throws when it claims to be one but is malformed.
    public static func decode(_ record: LogRecord) throws(RouterRecordError) -> (clientID: String, record: RouterRecord)? {
        guard let header = record.headers.first(where: { $0.name == headerName }) else { return nil }
        guard header.value.count == 1, let kind = RouterRecordKind(rawValue: header.value[0]) else {
            throw .unknownKind(header.value)
        }
        guard let key = record.key, let clientID = String(validating: key, as: UTF8.self) else { throw .invalidString(kind) }
        var reader = RecordBytesReader(record.value, kind: kind)
        let decoded: RouterRecord
        switch kind {
        case .message:
            let epoch = try reader.readUInt64()
            let packetID = try reader.readUInt16()
            let qos = try readQoS(&reader, kind: kind)
            let retain = try readFlag(&reader, kind: kind)
            let topic = try readTopic(&reader, kind: kind)
            let payload = try reader.readBlob()
            decoded = .message(MessageRecord(epoch: epoch, packetID: packetID, qos: qos, retain: retain, topic: topic, payload: payload))
        case .connect:
            let epoch = try reader.readUInt64()
            let clean = try readFlag(&reader, kind: kind)
            var will: Will?
            if try readFlag(&reader, kind: kind) {
                let qos = try readQoS(&reader, kind: kind)
                let retain = try readFlag(&reader, kind: kind)
                let topic = try readTopic(&reader, kind: kind)
                will = Will(topic: topic, payload: try reader.readBlob(), qos: qos, retain: retain)
            }
            decoded = .connect(epoch: epoch, cleanSession: clean, will: will)
        case .subscribe:
            let epoch = try reader.readUInt64()
            let packetID = try reader.readUInt16()
            var subscriptions: [RecordedSubscription] = []
            for _ in 0..<Int(try reader.readUInt16()) {
                let filter = try readFilter(&reader, kind: kind)
                let code = try reader.readUInt8()
                guard let granted = SubscribeReturnCode(rawValue: code) else { throw .invalidField(kind, "return code \(code)") }
                subscriptions.append(RecordedSubscription(filter: filter, granted: granted))
            }
            decoded = .subscribe(epoch: epoch, packetID: packetID, subscriptions: subscriptions)
        case .unsubscribe:
            let epoch = try reader.readUInt64()
            let packetID = try reader.readUInt16()
            var filters: [TopicFilter] = []
            for _ in 0..<Int(try reader.readUInt16()) { filters.append(try readFilter(&reader, kind: kind)) }
            decoded = .unsubscribe(epoch: epoch, packetID: packetID, filters: filters)
        case .released:
            decoded = .released(epoch: try reader.readUInt64(), packetID: try reader.readUInt16())
        case .assigned:
            let epoch = try reader.readUInt64()
            var assignments: [Assignment] = []
            for _ in 0..<Int(try reader.readUInt16()) { assignments.append(try readAssignment(&reader, kind: kind)) }
            decoded = .assigned(epoch: epoch, assignments: assignments)
        case .pubrecReceived:
            let epoch = try reader.readUInt64()
            var ids: [UInt16] = []
            for _ in 0..<Int(try reader.readUInt16()) { ids.append(try reader.readUInt16()) }
            decoded = .pubrecReceived(epoch: epoch, packetIDs: ids)
        case .cursor:
            let epoch = try reader.readUInt64()
            decoded = .cursor(epoch: epoch, try readSnapshot(&reader, kind: kind))
        case .closed:
            let epoch = try reader.readUInt64()
            let graceful = try readFlag(&reader, kind: kind)
            decoded = .closed(epoch: epoch, graceful: graceful, try readSnapshot(&reader, kind: kind))
        }
        try reader.finish()
        return (clientID, decoded)
    }

    private static func write(_ assignment: Assignment, to writer: inout RecordBytesWriter) {
        writer.write(assignment.packetID)
        writer.write(UInt32(assignment.message.partition))
        writer.write(assignment.message.offset)
        writer.write(assignment.qos.rawValue)
        writer.write(UInt8(assignment.retain ? 1 : 0))
    }

    private static func write(_ snapshot: CursorSnapshot, to writer: inout RecordBytesWriter) {
        writer.write(UInt32(snapshot.cursors.count))
        for cursor in snapshot.cursors { writer.write(cursor) }
        writer.write(UInt32(snapshot.completedAbove.count))
        for reference in snapshot.completedAbove {
            writer.write(UInt32(reference.partition))
            writer.write(reference.offset)
        }
        writer.write(UInt32(snapshot.inFlight.count))
        for entry in snapshot.inFlight {
            write(entry.assignment, to: &writer)
            writer.write(UInt8(entry.pubrecReceived ? 1 : 0))
        }
    }

    private static func readAssignment(_ reader: inout RecordBytesReader, kind: RouterRecordKind) throws(RouterRecordError) -> Assignment {
        let packetID = try reader.readUInt16()
        guard packetID != 0 else { throw .invalidField(kind, "packet ID 0") }
        let partition = Int(try reader.readUInt32())
        let offset = try reader.readUInt64()
        let qos = try readQoS(&reader, kind: kind)
        let retain = try readFlag(&reader, kind: kind)
        return Assignment(packetID: packetID, message: MessageReference(partition: partition, offset: offset), qos: qos, retain: retain)
    }

    private static func readSnapshot(_ reader: inout RecordBytesReader, kind: RouterRecordKind) throws(RouterRecordError) -> CursorSnapshot {
        let count = Int(try reader.readUInt32())
        guard count <= 1 << 16 else { throw .invalidField(kind, "\(count) cursors") }
        var cursors: [UInt64] = []
        for _ in 0..<count { cursors.append(try reader.readUInt64()) }
        var completed: [MessageReference] = []
        for _ in 0..<Int(try reader.readUInt32()) {
            let partition = Int(try reader.readUInt32())
            completed.append(MessageReference(partition: partition, offset: try reader.readUInt64()))
        }
        var inFlight: [(assignment: Assignment, pubrecReceived: Bool)] = []
        for _ in 0..<Int(try reader.readUInt32()) {
            let assignment = try readAssignment(&reader, kind: kind)
            inFlight.append((assignment, try readFlag(&reader, kind: kind)))
        }
        return CursorSnapshot(cursors: cursors, completedAbove: completed, inFlight: inFlight)
    }

    private static func readQoS(_ reader: inout RecordBytesReader, kind: RouterRecordKind) throws(RouterRecordError) -> QoS {
        let byte = try reader.readUInt8()
        guard let qos = QoS(rawValue: byte) else { throw .invalidField(kind, "QoS \(byte)") }
        return qos
    }

    private static func readFlag(_ reader: inout RecordBytesReader, kind: RouterRecordKind) throws(RouterRecordError) -> Bool {
        switch try reader.readUInt8() {
        case 0: return false
        case 1: return true
        case let byte: throw .invalidField(kind, "flag \(byte)")
        }
    }

    private static func readTopic(_ reader: inout RecordBytesReader, kind: RouterRecordKind) throws(RouterRecordError) -> TopicName {
        let string = try reader.readString()
        do {
            return try TopicName(validating: string)
        } catch {
            throw .invalidField(kind, "topic: \(error)")
        }
    }

    private static func readFilter(_ reader: inout RecordBytesReader, kind: RouterRecordKind) throws(RouterRecordError) -> TopicFilter {
        let string = try reader.readString()
        do {
            return try TopicFilter(validating: string)
        } catch {
            throw .invalidField(kind, "topic filter: \(error)")
        }
    }
}

/// A router record that cannot be read: the log holds something the router did not write.
public enum RouterRecordError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `iris.mqtt` header names no known kind.
    case unknownKind([UInt8])
    /// The body ends before its last field.
    case truncated(RouterRecordKind)
    /// Bytes follow the body's last field.
    case trailingBytes(RouterRecordKind, count: Int)
    /// A string (or the key) is not UTF-8.
    case invalidString(RouterRecordKind)
    /// A field holds a value the router never writes.
    case invalidField(RouterRecordKind, String)

    /// A log line naming the fault.
    public var description: String {
        switch self {
        case .unknownKind(let bytes): "router record with unknown kind \(bytes) in its iris.mqtt header"
        case .truncated(let kind): "\(kind) record ends early"
        case .trailingBytes(let kind, let count): "\(kind) record has \(count) bytes after its last field"
        case .invalidString(let kind): "\(kind) record holds a string that is not UTF-8"
        case .invalidField(let kind, let what): "\(kind) record has an invalid \(what)"
        }
    }
}
