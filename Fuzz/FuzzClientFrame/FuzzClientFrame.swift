import IrisClientProtocol
import IrisLog

/// libFuzzer target: the client protocol's frame decoders (SPEC.md §12) on arbitrary bytes.
/// Input: one frame (length, CRC, request ID, kind, body).
///
/// Each input is tried twice, as is and with its length and CRC recomputed so mutations reach
/// the body decoders. Invariants: `frameSize` accepts the length field exactly when the
/// decoders get past it; a frame that decodes (as a request or an answer) re-encodes to the
/// same bytes and decodes again to the same frame.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    check(input)
    if input.count >= 8 {
        var sealed = input
        let length = UInt32(input.count - 4)
        let crc = CRC32C.checksum(input[8...])
        for index in 0..<4 {
            sealed[index] = UInt8(truncatingIfNeeded: length >> (8 * index))
            sealed[4 + index] = UInt8(truncatingIfNeeded: crc >> (8 * index))
        }
        check(sealed)
    }
    return 0
}

private func check(_ frame: [UInt8]) {
    let limits = ClientProtocolLimits()
    if let request = try? ClientFrameCodec.decodeRequest(frame, limits: limits) {
        let encoded = ClientFrameCodec.encode(request)
        precondition(encoded == frame, "a decoded request re-encodes differently")
        precondition((try? ClientFrameCodec.decodeRequest(encoded, limits: limits)) == request, "a re-encoded request decodes differently")
    }
    if let answer = try? ClientFrameCodec.decodeAnswer(frame, limits: limits) {
        let encoded = ClientFrameCodec.encode(answer)
        precondition(encoded == frame, "a decoded answer re-encodes differently")
        precondition((try? ClientFrameCodec.decodeAnswer(encoded, limits: limits)) == answer, "a re-encoded answer decodes differently")
    }
}
