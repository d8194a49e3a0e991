import IrisMQTT
import Testing

/// 20,000 random mutations of valid packets (bit flips, byte changes, insertions, deletions,
/// truncations, appended bytes): decoding never crashes, and whatever decodes re-encodes to
/// exactly the bytes it was decoded from and decodes again to the same packet.
struct MutationTests {
    static let seed: UInt64 = 0x1_1997_0311
    static let mutationCount = 20_000

    enum Outcome: Hashable { case decoded, needsMoreBytes, threw }

    @Test func mutatedPacketsDecodeCanonicallyOrThrow() {
        var rng = SplitMix64(seed: Self.seed)
        let decoder = MQTTDecoder(maxPacketBytes: 1 << 16)
        var seeds = GoldenPacketTests.golden.map { bytes(hex: $0.1) }
        seeds += (0..<300).map { _ in RandomPackets.packet(using: &rng).encoded }
        var outcomes: [Outcome: Int] = [:]
        var failures = 0
        for iteration in 0..<Self.mutationCount {
            var input = seeds.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 1...3, using: &rng) { Self.mutate(&input, using: &rng) }
            // Decode from the front repeatedly, as a connection would.
            var start = 0
            while start < input.count {
                let rest = Array(input[start...])
                do throws(MQTTError) {
                    guard let (packet, byteCount) = try decoder.decode(rest) else {
                        outcomes[.needsMoreBytes, default: 0] += 1
                        break
                    }
                    outcomes[.decoded, default: 0] += 1
                    let consumed = Array(rest[..<byteCount])
                    let again = try? decoder.decode(packet.encoded)
                    if packet.encoded != consumed || again?.packet != packet {
                        failures += 1
                        if failures <= 5 { Issue.record("iteration \(iteration) (seed \(Self.seed)): \(hex(consumed)) is not canonical") }
                    }
                    start += byteCount
                } catch {
                    outcomes[.threw, default: 0] += 1
                    break
                }
            }
        }
        #expect(failures == 0)
        // The mutations reach every outcome, so the check above is not vacuous.
        #expect(outcomes[.decoded, default: 0] > 1_000)
        #expect(outcomes[.threw, default: 0] > 1_000)
        #expect(outcomes[.needsMoreBytes, default: 0] > 100)
    }

    static func mutate(_ bytes: inout [UInt8], using rng: inout some RandomNumberGenerator) {
        let index = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
        switch Int.random(in: 0..<6, using: &rng) {
        case 0 where !bytes.isEmpty: bytes[index] ^= 1 << UInt8.random(in: 0...7, using: &rng)
        case 1 where !bytes.isEmpty: bytes[index] = UInt8.random(in: 0...255, using: &rng)
        case 2: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: index)
        case 3 where !bytes.isEmpty: bytes.remove(at: index)
        case 4: bytes.removeLast(bytes.count - index)
        default: bytes += (0..<Int.random(in: 1...4, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }
    }
}
