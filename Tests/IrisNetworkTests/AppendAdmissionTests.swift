import IrisMQTT
import IrisRouter
import Testing

@testable import IrisDaemon

/// The number a test event carries (a PUBACK's packet ID), to follow it through the admission.
private func number(_ event: ShardEvent) -> UInt16? {
    if case .packet(_, .puback(let packetID)) = event { return packetID }
    return nil
}

private func packet(_ token: UInt64, _ number: UInt16) -> ShardEvent {
    .packet(ConnectionToken(token), .puback(packetID: number))
}

@Suite("Append admission of a shard (pure)")
struct AppendAdmissionTests {
    @Test("at the bound, events are held in arrival order and each sender is paused once; a close waits only behind its own connection")
    func holdsAtTheBound() {
        var admission = AppendAdmission(limits: .init(recordsMax: 2, bytesMax: 1_000))
        #expect(admission.offer(packet(1, 1), from: ConnectionToken(1), isClose: false) == .run)
        admission.started(records: 2, bytes: 10)
        #expect(admission.isFull)
        #expect(admission.offer(packet(1, 2), from: ConnectionToken(1), isClose: false) == .hold(pause: true))
        #expect(admission.offer(packet(2, 3), from: ConnectionToken(2), isClose: false) == .hold(pause: true))
        #expect(admission.offer(packet(1, 4), from: ConnectionToken(1), isClose: false) == .hold(pause: false))
        #expect(admission.offer(.closed(ConnectionToken(3), graceful: true), from: ConnectionToken(3), isClose: true) == .run)
        #expect(admission.offer(.closed(ConnectionToken(2), graceful: false), from: ConnectionToken(2), isClose: true) == .hold(pause: false))
        #expect((admission.pausedCount, admission.heldCount) == (2, 4))
        // Full: nothing is released yet.
        #expect(admission.nextRelease() == nil)
    }

    @Test("held events are released from half the bound, in order, until the bound is reached again; a connection resumes after its last")
    func releasesFromHalfTheBound() {
        var admission = AppendAdmission(limits: .init(recordsMax: 4, bytesMax: 1_000))
        admission.started(records: 4, bytes: 40)
        for (token, number) in [(1, 1), (2, 2), (1, 3), (3, 4)] as [(UInt64, UInt16)] {
            _ = admission.offer(packet(token, number), from: ConnectionToken(token), isClose: false)
        }
        #expect(admission.finished(records: 1, bytes: 10) == false)  // 3 in flight: above half
        #expect(admission.finished(records: 1, bytes: 10) == true)  // 2: half
        #expect(admission.finished(records: 1, bytes: 10) == false)  // a release is under way
        var released: [(UInt16?, Bool)] = []
        while let release = admission.nextRelease() {
            released.append((number(release.event), release.resume))
            admission.started(records: 1, bytes: 10)
        }
        // One record in flight, then three released events fill the bound of four.
        #expect(released.map(\.0) == [1, 2, 3])
        #expect(released.map(\.1) == [false, true, true])
        #expect((admission.pausedCount, admission.heldCount, admission.recordsInFlight) == (1, 1, 4))
        #expect(admission.finished(records: 2, bytes: 20) == true)
        let last = admission.nextRelease()
        #expect(last.map { number($0.event) } == 4 && last?.resume == true)
        #expect(admission.nextRelease() == nil && admission.pausedCount == 0)
    }

    @Test("the byte bound holds events too")
    func byteBound() {
        var admission = AppendAdmission(limits: .init(recordsMax: 100, bytesMax: 1_000))
        admission.started(records: 1, bytes: 1_000)
        #expect(admission.offer(packet(1, 1), from: ConnectionToken(1), isClose: false) == .hold(pause: true))
        #expect(admission.finished(records: 1, bytes: 1_000) == true)
        #expect(admission.nextRelease().map { number($0.event) } == 1)
    }

    @Test("dropping the held events returns the paused connections and leaves nothing held")
    func dropHeld() {
        var admission = AppendAdmission(limits: .init(recordsMax: 1, bytesMax: 1_000))
        admission.started(records: 1, bytes: 1)
        _ = admission.offer(packet(7, 1), from: ConnectionToken(7), isClose: false)
        _ = admission.offer(packet(5, 2), from: ConnectionToken(5), isClose: false)
        #expect(admission.dropHeld() == [ConnectionToken(5), ConnectionToken(7)])
        #expect((admission.pausedCount, admission.heldCount) == (0, 0))
    }

    @Test("seeded floods: records in flight never exceed the bound, every event runs once, in each connection's order", arguments: 1...20)
    func floodsStayBounded(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let recordsMax = Int(random.next() % 16) + 1
        var admission = AppendAdmission(limits: .init(recordsMax: recordsMax, bytesMax: 1 << 20))
        var inFlight: [Int] = []  // records of each append not yet answered
        var ran: [UInt64: [UInt16]] = [:]
        var paused: Set<UInt64> = []
        var next: [UInt64: UInt16] = [:]
        var pauses = 0
        let connections: UInt64 = 6

        func run(_ event: ShardEvent) {
            guard case .packet(let token, .puback(let packetID)) = event else { return }
            ran[token.rawValue, default: []].append(packetID)
            admission.started(records: 1, bytes: 100)
            inFlight.append(1)
            #expect(admission.recordsInFlight <= recordsMax)
        }
        func answer() {
            guard !inFlight.isEmpty else { return }
            let index = Int(random.next() % UInt64(inFlight.count))
            let records = inFlight.remove(at: index)
            guard admission.finished(records: records, bytes: records * 100) else { return }
            while let release = admission.nextRelease() {
                run(release.event)
                if release.resume { paused.remove(release.token.rawValue) }
            }
        }
        for _ in 0..<3_000 {
            if random.next() % 2 == 0 {
                let token = random.next() % connections
                // A paused connection sends nothing more: the edge does not read it.
                guard !paused.contains(token) else { continue }
                next[token, default: 0] += 1
                let event = packet(token, next[token]!)
                switch admission.offer(event, from: ConnectionToken(token), isClose: false) {
                case .run: run(event)
                case .hold(let pause):
                    #expect(pause)  // its first held event: it was not paused
                    paused.insert(token)
                    pauses += 1
                }
            } else {
                answer()
            }
        }
        for _ in 0..<10_000 where !inFlight.isEmpty { answer() }
        #expect(pauses > 0, "the flood never reached the bound")
        #expect(admission.heldCount == 0 && admission.pausedCount == 0 && paused.isEmpty)
        #expect(admission.recordsInFlightPeak <= recordsMax)
        for token in 0..<connections {
            let count = Int(next[token] ?? 0)
            #expect(ran[token] ?? [] == (0..<count).map { UInt16($0 + 1) })
        }
    }
}
