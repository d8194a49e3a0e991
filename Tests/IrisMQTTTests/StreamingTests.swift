import IrisMQTT
import Testing

/// The decoder on a byte stream: a packet split anywhere waits for the rest, never reads past
/// what it has, and leaves the bytes after it alone.
struct StreamingTests {
    static var samples: [[UInt8]] {
        var rng = SplitMix64(seed: 0x5EED_0001)
        let random = (0..<200).map { _ in RandomPackets.packet(using: &rng).encoded }.filter { $0.count <= 2_000 }
        return GoldenPacketTests.golden.map { bytes(hex: $0.1) } + random
    }

    /// Every proper prefix gives nil; the whole packet gives the packet and its length, with or
    /// without bytes of the next packet after it.
    @Test func splitAtEveryByteBoundaryWaitsUntilComplete() throws {
        let decoder = MQTTDecoder()
        for packet in Self.samples {
            let whole = try #require(try decoder.decode(packet))
            #expect(whole.byteCount == packet.count)
            for count in 0..<packet.count {
                let prefix = Array(packet[..<count])
                #expect(try decoder.decode(prefix) == nil, "prefix of \(count) bytes of \(hex(packet.prefix(32)))")
            }
            let followed = try #require(try decoder.decode(packet + [0xC0, 0x00, 0x30]))
            #expect(followed.packet == whole.packet && followed.byteCount == packet.count)
        }
    }

    /// The decoder reads only the buffer it is given, even when more memory follows it.
    @Test func neverReadsPastTheBuffer() {
        let packet = MQTTPacket.publish(Publish(topic: name("a/b"), payload: Array(repeating: 9, count: 300), qos: .atLeastOnce, packetID: 1))
        let encoded = packet.encoded
        let results = encoded.withUnsafeBytes { all in
            (0...encoded.count).map { count in
                Result { () throws(MQTTError) in try MQTTDecoder().decode(UnsafeRawBufferPointer(rebasing: all[..<count]))?.packet }
            }
        }
        for (count, result) in results.enumerated() {
            let expected: MQTTPacket? = count == encoded.count ? packet : nil
            #expect(result == .success(expected), "first \(count) bytes")
        }
    }

    /// A connection's reads arrive in arbitrary chunks: appending each chunk to a buffer and
    /// decoding from its front yields the packets in order, and nothing is left over.
    @Test func chunkedStreamYieldsEveryPacketInOrder() throws {
        let samples = Self.samples
        let stream = samples.flatMap { $0 }
        let decoder = MQTTDecoder()
        var expected: [MQTTPacket] = []
        for packet in samples { expected.append(try #require(try decoder.decode(packet)).packet) }
        for chunkSize in [1, 2, 3, 7, 64, 1_000, stream.count] {
            var buffer: [UInt8] = []
            var decoded: [MQTTPacket] = []
            var position = 0
            while position < stream.count {
                let end = min(position + chunkSize, stream.count)
                buffer += stream[position..<end]
                position = end
                while let (packet, byteCount) = try decoder.decode(buffer) {
                    decoded.append(packet)
                    buffer.removeFirst(byteCount)
                }
            }
            #expect(decoded == expected, "chunks of \(chunkSize)")
            #expect(buffer.isEmpty)
        }
    }
}
