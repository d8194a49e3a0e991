import IrisLog
import IrisReplication
import Testing

/// SPEC.md §9.5.5, review: no message can crash a replica. Seeded and
/// deterministic: 100,000 random and mutated messages (mutations of messages a real cluster
/// exchanged: terms, offsets, frames, senders) go to cores in every role, each over a log a
/// real run wrote. The core checks its invariants at the end of every step
/// (`checkInvariants`, a trap if one breaks), and the test checks what the shell sees.
@Suite("Message fuzzing")
struct MessageFuzzTests {
    static let messagesTotal = 100_000
    static let messagesPerCore = 500
    static let roles: [Role] = [.follower, .preCandidate, .candidate, .leader]

    @Test func coresInEveryRoleSurviveOneHundredThousandRandomAndMutatedMessages() throws {
        let run = try RecordedRun()
        try #require(run.envelopes.count > 200)
        var random = SplitMix64(seed: 20_261_130)
        var fedByRole: [Role: Int] = [:]
        var rejected = 0
        var appended = 0
        var coreCount = 0
        while fedByRole.values.reduce(0, +) < Self.messagesTotal {
            let role = Self.roles[coreCount % Self.roles.count]
            let snapshot = run.snapshots[(coreCount / Self.roles.count) % run.snapshots.count]
            coreCount += 1
            var replica = try Self.replica(in: role, from: snapshot)
            try #require(replica.core.role == role, "could not drive a core into \(role)")
            var fuzzer = MessageMutator(target: replica.id, valid: run.envelopes)
            for _ in 0..<Self.messagesPerCore {
                let termBefore = replica.core.hardState.term
                let commitBefore = replica.core.commitOffset
                let rejectedBefore = replica.core.rejectedMessageCount
                let envelope = fuzzer.next(&random, receiver: replica)
                var actions = replica.step(.receive(envelope))
                fedByRole[role, default: 0] += 1
                if random.next() % 2 == 0 { actions += replica.persistEverything(actions) }
                if random.next() % 8 == 0 { actions += replica.step(.tick) }
                if random.next() % 16 == 0 { actions += replica.step(clientAppend(ClientRequestID(random.next()), [1, 2])) }
                rejected += replica.core.rejectedMessageCount - rejectedBefore
                appended += actions.count { if case .appendToLog = $0 { true } else { false } }
                let halted = actions.contains { if case .halt = $0 { true } else { false } }
                guard !halted, replica.core.lastOffset == replica.log.lastOffset,
                      replica.core.hardState.term >= termBefore, replica.core.commitOffset >= commitBefore
                else {
                    let state = "log \(replica.core.lastOffset) vs \(replica.log.lastOffset), "
                        + "term \(termBefore) -> \(replica.core.hardState.term), "
                        + "commit \(commitBefore) -> \(replica.core.commitOffset)"
                    Issue.record("core \(coreCount) (\(role)) after \(envelope): halted \(halted), \(state)")
                    return
                }
            }
        }
        #expect(fedByRole.values.reduce(0, +) >= 100_000)
        for role in Self.roles { #expect(fedByRole[role, default: 0] >= 25_000, "\(role) got too few messages") }
        // Not vacuous: many messages were refused, and many were valid enough to append frames.
        #expect(rejected > 10_000)
        #expect(appended > 1_000)
    }

    /// A core over a copy of `snapshot`'s log and durable hard state, driven into `role`.
    static func replica(in role: Role, from snapshot: HandDrivenReplica) throws -> HandDrivenReplica {
        var replica = HandDrivenReplica(
            snapshot.core.configuration, hardState: snapshot.core.durableHardState, frames: snapshot.log.stored)
        let voter = replica.core.peerIDs[0]
        switch role {
        case .follower:
            break
        case .preCandidate, .candidate:
            while replica.core.role != .preCandidate { replica.step(.tick) }
            if role == .candidate {
                let granted = VoteResponse(isPreVote: true, term: replica.core.hardState.term.next, granted: true)
                replica.persistEverything(replica.receive(.voteResponse(granted), from: voter))
            }
        case .leader:
            replica.becomeLeader(voters: [voter])
        }
        return replica
    }
}

/// A 3-replica cluster run with leader changes, divergent suffixes and multi-record frames:
/// every message it exchanged, and each replica's log and hard state at several points.
struct RecordedRun {
    var envelopes: [Envelope] = []
    var snapshots: [HandDrivenReplica] = []

    init() throws {
        var cluster = try ClusterHarness(timeouts: [10, 14, 18])
        var request: UInt64 = 0
        for _ in 0..<5 {
            cluster.tickAll(30)
            snapshots += cluster.replicas
            guard let leader = cluster.leaders.first else { continue }
            let index = Int(leader.rawValue) - 1
            for count in 1...6 {
                request += 1
                let records = (0..<count).map { Record(value: [UInt8(truncatingIfNeeded: request), UInt8($0)]) }
                cluster.step(index, .clientAppend(ClientRequestID(request), batch: try EncodedBatch(records: records, timestampMicroseconds: 1)))
                cluster.deliverAll()
            }
            // The leader, cut off, appends a suffix the next leader will overwrite.
            cluster.isolated = [leader]
            for _ in 0..<3 {
                request += 1
                cluster.step(index, clientAppend(ClientRequestID(request), [9]))
            }
            cluster.tickAll(40)
            cluster.isolated = []
        }
        cluster.tickAll(30)
        snapshots += cluster.replicas
        envelopes = cluster.delivered
    }
}

/// Draws messages for one target replica: a fifth entirely random, a fifth valid messages
/// replayed as they were (duplicated, late, reordered), a fifth well-formed AppendRequests
/// that fit the receiver's log (a new leader's frames, some replacing its suffix), and the
/// rest valid or fitting messages with one to three mutations.
struct MessageMutator {
    let target: NodeID
    let valid: [Envelope]

    mutating func next(_ random: inout SplitMix64, receiver: HandDrivenReplica) -> Envelope {
        let kind = random.next() % 5
        var message: Message =
            switch kind {
            case 0: randomMessage(&random)
            case 2: fittingAppend(receiver, &random)
            default: random.next() % 2 == 0 ? valid[pick(valid.count, &random)].message : fittingAppend(receiver, &random)
            }
        if kind > 2 {
            for _ in 0...pick(3, &random) { message = mutate(message, &random) }
        }
        let senders = [NodeID(1), NodeID(2), NodeID(3), NodeID(9)]
        let from = random.next() % 10 == 0 ? senders[pick(4, &random)] : peer(&random)
        let to = random.next() % 20 == 0 ? senders[pick(4, &random)] : target
        return Envelope(from: from, to: to, message: message)
    }

    func pick(_ count: Int, _ random: inout SplitMix64) -> Int { Int(random.next() % UInt64(count)) }

    func peer(_ random: inout SplitMix64) -> NodeID {
        let peers = [NodeID(1), NodeID(2), NodeID(3)].filter { $0 != target }
        return peers[pick(peers.count, &random)]
    }

    func term(near term: Term, _ random: inout SplitMix64) -> Term {
        switch random.next() % 8 {
        case 0: .zero
        case 1: Term(UInt64.max - random.next() % 2)
        case 2: Term(random.next() % 12)
        default: Term(term.rawValue &+ random.next() % 3 &- 1)
        }
    }

    func offset(near offset: LogEnd, _ random: inout SplitMix64) -> LogEnd {
        switch random.next() % 6 {
        case 0: .zero
        case 1: LogEnd(random.next() % 200)
        default: LogEnd(offset.rawValue &+ random.next() % 5 &- 2)
        }
    }

    /// A fresh frame at `base` (kept below 2^40 so its end does not overflow).
    func freshFrame(term: Term, base: LogEnd, _ random: inout SplitMix64) -> SealedFrame {
        frame(min(term.rawValue, 1 << 40), base: min(base.rawValue, 1 << 40), count: 1 + pick(4, &random),
              previousCRC: UInt32(truncatingIfNeeded: random.next()))
    }

    /// A well-formed AppendRequest from a leader of the receiver's term or the next one,
    /// following a frame boundary of the receiver's log, with fresh frames chained to it.
    func fittingAppend(_ receiver: HandDrivenReplica, _ random: inout SplitMix64) -> Message {
        let stored = receiver.log.stored
        let term = Term(receiver.core.hardState.term.rawValue + random.next() % 2)
        let keep = stored.isEmpty ? 0 : pick(stored.count + 1, &random)
        let previous = keep == 0 ? nil : stored[keep - 1]
        var frames: [SealedFrame] = []
        var base = previous?.end ?? .zero
        var crc = previous?.crc ?? 0
        for _ in 0..<pick(4, &random) {
            let next = frame(term.rawValue, base: base.rawValue, count: 1 + pick(3, &random), previousCRC: crc)
            frames.append(next)
            base = next.end
            crc = next.crc
        }
        return .appendRequest(AppendRequest(
            term: term, prevLogOffset: previous?.end ?? .zero, prevLogTerm: previous?.term ?? .zero,
            frames: frames, commitOffset: LogEnd(random.next() % (base.rawValue + 1))))
    }

    func randomMessage(_ random: inout SplitMix64) -> Message {
        let term = Term(random.next() % 12)
        let offset = LogEnd(random.next() % 60)
        switch random.next() % 4 {
        case 0:
            return .voteRequest(VoteRequest(isPreVote: random.next() % 2 == 0, term: term,
                                            lastLogOffset: offset, lastLogTerm: Term(random.next() % 12)))
        case 1:
            return .voteResponse(VoteResponse(isPreVote: random.next() % 2 == 0, term: term, granted: random.next() % 2 == 0))
        case 2:
            var frames: [SealedFrame] = []
            var base = offset
            for _ in 0..<pick(4, &random) {
                let next = freshFrame(term: Term(random.next() % 12), base: base, &random)
                frames.append(next)
                base = next.end
            }
            return .appendRequest(AppendRequest(term: term, prevLogOffset: offset, prevLogTerm: Term(random.next() % 12),
                                                frames: frames, commitOffset: LogEnd(random.next() % 60)))
        default:
            return .appendResponse(AppendResponse(
                term: term, success: random.next() % 2 == 0, matchOffset: offset,
                rejectedPrevLogOffset: LogEnd(random.next() % 60), hintOffset: LogEnd(random.next() % 60),
                hintTerm: Term(random.next() % 12)))
        }
    }

    func mutate(_ message: Message, _ random: inout SplitMix64) -> Message {
        switch message {
        case .voteRequest(var request):
            switch random.next() % 4 {
            case 0: request.isPreVote.toggle()
            case 1: request.term = term(near: request.term, &random)
            case 2: request.lastLogOffset = offset(near: request.lastLogOffset, &random)
            default: request.lastLogTerm = term(near: request.lastLogTerm, &random)
            }
            return .voteRequest(request)
        case .voteResponse(var response):
            switch random.next() % 3 {
            case 0: response.isPreVote.toggle()
            case 1: response.granted.toggle()
            default: response.term = term(near: response.term, &random)
            }
            return .voteResponse(response)
        case .appendResponse(var response):
            switch random.next() % 5 {
            case 0: response.success.toggle()
            case 1: response.term = term(near: response.term, &random)
            case 2: response.matchOffset = offset(near: response.matchOffset, &random)
            case 3: response.rejectedPrevLogOffset = offset(near: response.rejectedPrevLogOffset, &random)
            default:
                response.hintOffset = offset(near: response.hintOffset, &random)
                response.hintTerm = term(near: response.hintTerm, &random)
            }
            return .appendResponse(response)
        case .timeoutNow(var message):
            message.term = term(near: message.term, &random)
            return .timeoutNow(message)
        case .appendRequest(var request):
            mutateAppend(&request, &random)
            return .appendRequest(request)
        }
    }

    func mutateAppend(_ request: inout AppendRequest, _ random: inout SplitMix64) {
        let count = request.frames.count
        switch random.next() % 12 {
        case 0: request.term = term(near: request.term, &random)
        case 1: request.prevLogOffset = offset(near: request.prevLogOffset, &random)
        case 2: request.prevLogTerm = term(near: request.prevLogTerm, &random)
        case 3: request.commitOffset = offset(near: request.commitOffset, &random)
        case 4 where count > 0:  // drop the first frame: now it does not follow prevLogOffset
            request.frames.removeFirst()
        case 5 where count > 0:  // truncate the list (still valid) or empty it
            request.frames.removeLast(1 + pick(count, &random))
        case 6 where count > 1:  // reorder
            request.frames.swapAt(0, count - 1)
        case 7 where count > 0:  // duplicate a frame
            let index = pick(count, &random)
            request.frames.insert(request.frames[index], at: index)
        case 8 where count > 0:  // the same place, another term
            let index = pick(count, &random)
            let old = request.frames[index]
            request.frames[index] = freshFrame(term: term(near: old.term, &random), base: old.start, &random)
        case 9 where count > 0:  // shifted offsets
            let index = pick(count, &random)
            let old = request.frames[index]
            request.frames[index] = freshFrame(term: old.term, base: offset(near: old.start, &random), &random)
        case 10:  // a consistent request with other frame boundaries: prev moves with the first frame
            let first = freshFrame(term: request.term, base: offset(near: request.prevLogOffset, &random), &random)
            request.frames = [first]
            request.prevLogOffset = first.start
        default:
            request.frames = request.frames.map { $0 }  // unchanged: a duplicate of a valid message
        }
    }
}
