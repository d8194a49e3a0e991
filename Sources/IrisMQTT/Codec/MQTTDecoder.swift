/// Decodes MQTT 3.1.1 packets from the front of a byte stream, strictly: anything the
/// specification calls malformed throws, and every packet returned re-encodes to exactly the
/// bytes it came from (SPEC.md §15).
///
/// A value with no state: feed it the bytes received so far, drop `byteCount` bytes when it
/// returns a packet, and keep the rest for the next call.
public struct MQTTDecoder: Sendable {
    /// The maximum packet size `irisd` uses unless configured otherwise: 1 MiB.
    public static let defaultMaxPacketBytes = 1 << 20

    /// The largest packet accepted, fixed header included.
    public let maxPacketBytes: Int

    /// A decoder that throws `MQTTError.packetTooLarge` for any packet over `maxPacketBytes`
    /// (fixed header included); `maxPacketBytes` must be at least 2, the smallest packet.
    public init(maxPacketBytes: Int = MQTTDecoder.defaultMaxPacketBytes) {
        precondition(maxPacketBytes >= 2, "an MQTT packet has at least 2 bytes")
        self.maxPacketBytes = maxPacketBytes
    }

    /// Decodes one packet from the front of `bytes`: nil when more bytes are needed (it never
    /// reads past `bytes`), else the packet and how many bytes it took.
    ///
    /// - Throws: `MQTTError` for anything malformed, as early as the bytes present allow: a
    ///   bad first byte at once, a remaining length above the maximum before the body arrives,
    ///   faults in the body once the whole packet is there.
    public func decode(_ bytes: UnsafeRawBufferPointer) throws(MQTTError) -> (packet: MQTTPacket, byteCount: Int)? {
        guard let header = try FixedHeader.parse(bytes, maxPacketBytes: maxPacketBytes),
            bytes.count >= header.packetByteCount
        else { return nil }
        let body = UnsafeRawBufferPointer(rebasing: bytes[header.bodyStart..<header.packetByteCount])
        var reader = MQTTReader(body, type: header.type)
        let packet = try MQTTPacket.decodeBody(flags: header.flags, from: &reader)
        try reader.finish()
        return (packet, header.packetByteCount)
    }

    /// `decode(_:)` over an array's bytes.
    public func decode(_ bytes: [UInt8]) throws(MQTTError) -> (packet: MQTTPacket, byteCount: Int)? {
        try bytes.withUnsafeBufferPointer { (buffer) throws(MQTTError) in try decode(UnsafeRawBufferPointer(buffer)) }
    }
}
