import IrisLog
import IrisMQTT
@testable import IrisRouter
import Testing

/// SPEC.md §16.2: every router record round-trips through a log record; anything else in a
/// record that claims to be the router's is a typed error, never a trap.
@Suite struct RouterRecordTests {
    static let topic = try! TopicName(validating: "a/b")
    static let filter = try! TopicFilter(validating: "a/+")
    static let assignment = Assignment(packetID: 7, message: MessageReference(partition: 2, offset: 99), qos: .exactlyOnce, retain: false)
    static let snapshot = CursorSnapshot(
        cursors: [1, 2, 3], completedAbove: [MessageReference(partition: 1, offset: 5)], inFlight: [(assignment, true)])

    static let every: [RouterRecord] = [
        .message(MessageRecord(epoch: 9, packetID: 3, qos: .atLeastOnce, retain: true, topic: topic, payload: [1, 2, 3])),
        .connect(epoch: 9, cleanSession: false, will: Will(topic: topic, payload: [4], qos: .exactlyOnce, retain: true)),
        .connect(epoch: 10, cleanSession: true, will: nil),
        .subscribe(epoch: 9, packetID: 4, subscriptions: [RecordedSubscription(filter: filter, granted: .granted(.atLeastOnce)),
            RecordedSubscription(filter: filter, granted: .failure)]),
        .unsubscribe(epoch: 9, packetID: 5, filters: [filter]),
        .released(epoch: 9, packetID: 6),
        .assigned(epoch: 9, assignments: [assignment]),
        .pubrecReceived(epoch: 9, packetIDs: [7, 8]),
        .cursor(epoch: 9, snapshot),
        .closed(epoch: 9, graceful: false, snapshot),
    ]

    static func logged(_ record: Record, offset: UInt64 = 0) -> LogRecord {
        LogRecord(offset: Offset(offset), timestampMicroseconds: 1, key: record.key, value: record.value, headers: record.headers, term: Term(1))
    }

    @Test func everyKindRoundTrips() throws {
        for record in Self.every {
            let decoded = try #require(try RouterRecord.decode(Self.logged(record.logRecord(clientID: "client-é"))))
            #expect(decoded.clientID == "client-é")
            #expect(decoded.record == record)
        }
    }

    @Test func aRecordWithoutTheHeaderIsNotTheRouters() throws {
        #expect(try RouterRecord.decode(Self.logged(Record(value: [1, 2, 3], key: Array("x".utf8)))) == nil)
    }

    @Test func anUnknownKindIsRefused() {
        let record = Record(value: [], key: Array("x".utf8), headers: [RecordHeader(name: RouterRecord.headerName, value: [42])])
        #expect(throws: RouterRecordError.unknownKind([42])) { try RouterRecord.decode(Self.logged(record)) }
    }

    @Test func truncatedAndExtendedBodiesAreTypedErrors() {
        for record in Self.every {
            let full = record.logRecord(clientID: "c")
            for cut in 0..<full.value.count {
                var short = full
                short.value = Array(full.value.prefix(cut))
                #expect(throws: RouterRecordError.self) { try RouterRecord.decode(Self.logged(short)) }
            }
            var long = full
            long.value.append(0)
            #expect(throws: RouterRecordError.self) { try RouterRecord.decode(Self.logged(long)) }
        }
    }

    /// 20,000 random byte changes never trap: each decodes (to a record that encodes back to the
    /// same bytes) or throws.
    @Test func mutatedBodiesNeverTrap() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        var decoded = 0
        var refused = 0
        for round in 0..<20_000 {
            var record = Self.every[round % Self.every.count].logRecord(clientID: "c")
            for _ in 0...(next() % 3) where !record.value.isEmpty {
                record.value[Int(next() % UInt64(record.value.count))] = UInt8(truncatingIfNeeded: next())
            }
            do {
                if let (_, routerRecord) = try RouterRecord.decode(Self.logged(record)) {
                    #expect(routerRecord.logRecord(clientID: "c").value == record.value)
                    decoded += 1
                }
            } catch {
                refused += 1
            }
        }
        #expect(decoded > 0 && refused > 0)
    }
}
