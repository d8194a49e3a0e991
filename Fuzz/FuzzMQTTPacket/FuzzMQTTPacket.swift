import IrisMQTT

/// libFuzzer target: `MQTTDecoder` (SPEC.md §15) on arbitrary bytes, read as a stream of packets.
///
/// Packets are decoded repeatedly from the front until the decoder needs more bytes or throws.
/// Invariants: every decoded packet re-encodes to exactly the bytes it was decoded from, and
/// those decode again to the same packet; no proper prefix of a decoded packet decodes (the
/// decoder asks for more bytes or refuses a header fault, never returns early); a decoder with a
/// smaller maximum agrees or refuses with `packetTooLarge`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let decoder = MQTTDecoder(maxPacketBytes: 1 << 16)
    let smallDecoder = MQTTDecoder(maxPacketBytes: 64)
    var start = 0
    while start < input.count {
        let rest = UnsafeRawBufferPointer(rebasing: input[start...])
        guard let (packet, byteCount) = try? decoder.decode(rest) else { break }
        let consumed = Array(rest[..<byteCount])
        check(packet, decodedFrom: consumed, decoder: decoder)
        checkSmallLimit(smallDecoder, consumed, packet)
        start += byteCount
    }
    return 0
}

private func check(_ packet: MQTTPacket, decodedFrom consumed: [UInt8], decoder: MQTTDecoder) {
    let encoded = packet.encoded
    precondition(encoded == consumed, "a decoded \(packet.type) re-encodes to other bytes")
    guard let again = try? decoder.decode(encoded) else { preconditionFailure("a re-encoded \(packet.type) does not decode") }
    precondition(again.packet == packet && again.byteCount == encoded.count, "a re-encoded \(packet.type) decodes differently")
    // Every prefix (checked for small packets only, to keep the target fast) is incomplete.
    guard consumed.count <= 64 else { return }
    for count in 0..<consumed.count {
        let prefix = Array(consumed[..<count])
        precondition((try? decoder.decode(prefix)).flatMap { $0 } == nil, "a proper prefix of a \(packet.type) decodes")
    }
}

private func checkSmallLimit(_ smallDecoder: MQTTDecoder, _ consumed: [UInt8], _ packet: MQTTPacket) {
    do throws(MQTTError) {
        let small = try smallDecoder.decode(consumed)
        precondition(small?.packet == packet, "a decoder with a smaller maximum decodes a \(packet.type) differently")
    } catch {
        guard case .packetTooLarge = error else { preconditionFailure("a smaller maximum refuses a \(packet.type) for \(error)") }
        precondition(consumed.count > smallDecoder.maxPacketBytes, "a \(consumed.count)-byte \(packet.type) refused as too large")
    }
}
