import IrisLog
import IrisReplication
import Testing

/// SPEC.md §9.5.6: no input can trap the decoder. 20,000 seeded mutations of valid frames
/// (bit flips, byte overwrites, truncations, insertions, deletions, duplicated ranges, count and
/// length fields set to edge values), each tried as is and with its length and CRC recomputed
/// so the mutation reaches the checks behind them. Every input either throws a typed error or
/// decodes to a frame that re-encodes to exactly the input (to the same frame when messages of
/// an unknown type were skipped).
@Suite("Peer wire mutations")
struct WireMutationTests {
    static let seed: UInt64 = 20_261_130
    static let mutationCount = 20_000

    @Test func mutatedFramesThrowOrReencodeIdentically() throws {
        let limits = try WireFixture.limits()
        let messages = try WireFixture.everyKind()
        let valid = [PeerWire.encodeHello(WireFixture.header), PeerWire.encodeMessages(WireFixture.header, messages)]
            + messages.map { PeerWire.encodeMessages(WireFixture.header, [$0]) }
        var random = SplitMix64(seed: Self.seed)
        var outcomes: [String: Int] = [:]
        for iteration in 0..<Self.mutationCount {
            let mutated = mutate(valid[Int(random.next() % UInt64(valid.count))], &random)
            for input in [mutated, WireFixture.resealed(mutated)] {
                let outcome = check(input, limits: limits)
                guard let outcome else {
                    Issue.record("seed \(Self.seed), mutation \(iteration): \(input.count) bytes decode to a frame that does not re-encode")
                    return
                }
                outcomes[outcome, default: 0] += 1
            }
        }
        // The mutations reach past the checksum into every layer of the decoder.
        #expect(outcomes["decoded", default: 0] >= 1_000, "\(outcomes)")
        #expect(outcomes["skipped unknown", default: 0] >= 10, "\(outcomes)")
        for reason in ["checksumMismatch", "lengthOutOfRange", "fieldBeyondEnd", "trailingBytes", "invalidBoolean",
                       "invalidSealedFrame", "invalidMessage", "partitionOutOfRange", "unknownKind", "unknownVersion",
                       "clusterMismatch", "unknownSender", "wrongRecipient"] {
            #expect(outcomes[reason, default: 0] > 0, "no mutation provoked \(reason): \(outcomes)")
        }
    }

    /// The decoder's outcome for `bytes`: an error's case name, "decoded", "skipped unknown";
    /// nil when a decoded frame breaks an invariant.
    private func check(_ bytes: [UInt8], limits: PeerWireLimits) -> String? {
        let frame: PeerFrame
        do throws(PeerWireError) {
            frame = try PeerWire.decode(bytes, limits: limits, receiver: WireFixture.receiver)
        } catch {
            return Mirror(reflecting: error).children.first?.label ?? "\(error)"
        }
        guard case .messages(let messages) = frame.body else {
            return PeerWire.encodeHello(frame.header) == bytes ? "decoded" : nil
        }
        for message in messages {
            guard Int(message.partition.rawValue) < limits.partitionCount,
                  message.envelope.message.defect(frameBytesMax: limits.frameBytesMax, messageBytesMax: limits.messageBytesMax) == nil
            else { return nil }
        }
        let reencoded = PeerWire.encodeMessages(frame.header, messages)
        if frame.skippedMessageCount == 0 { return reencoded == bytes ? "decoded" : nil }
        let again = try? PeerWire.decode(reencoded, limits: limits, receiver: WireFixture.receiver)
        return again == PeerFrame(header: frame.header, body: frame.body) && reencoded.count < bytes.count ? "skipped unknown" : nil
    }

    private func mutate(_ bytes: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        let rounds = random.next() % 4 == 0 ? 2 + Int(random.next() % 3) : 1
        for _ in 0..<rounds { mutateOnce(&bytes, &random) }
        return bytes
    }

    private func mutateOnce(_ bytes: inout [UInt8], _ random: inout SplitMix64) {
        func position(_ extra: Int = 0) -> Int { Int(random.next() % UInt64(bytes.count + extra)) }
        guard !bytes.isEmpty else { bytes = [UInt8(truncatingIfNeeded: random.next())]; return }
        switch random.next() % 7 {
        case 0: bytes[position()] ^= 1 << (random.next() % 8)
        case 1: bytes[position()] = UInt8(truncatingIfNeeded: random.next())
        case 2: bytes.removeLast(bytes.count - position())
        case 3:
            let inserted = (0..<1 + random.next() % 8).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            bytes.insert(contentsOf: inserted, at: position(1))
        case 4:
            let start = position()
            bytes.removeSubrange(start..<min(bytes.count, start + 1 + Int(random.next() % 16)))
        case 5:
            let start = position()
            let range = start..<min(bytes.count, start + 1 + Int(random.next() % 64))
            bytes.insert(contentsOf: Array(bytes[range]), at: position(1))
        default:
            // A count or length field set to an edge value.
            let values: [UInt32] = [0, 1, 2, 9, 48, 0x7FFF_FFFF, 0xFFFF_FFFF, UInt32(bytes.count)]
            let value = values[Int(random.next() % UInt64(values.count))]
            let start = position()
            for index in 0..<4 where start + index < bytes.count { bytes[start + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
        }
    }
}
