import IrisLog

/// Encodes and decodes client-protocol frames (SPEC.md §12.2):
/// `u32 length` (bytes after this field), `u32 crc32c` (of everything after it),
/// `u64 requestID`, `u16 kind`, body; little-endian.
public enum ClientFrameCodec {
    /// Bytes of a frame with an empty body: length, CRC, request ID and kind.
    public static let headerBytes = 18

    /// The whole size of the frame whose first four bytes hold `lengthField`, checked against
    /// `limits` before any byte of it is buffered.
    /// - Throws: `.frameTooShort`, `.frameTooLarge`.
    public static func frameSize(lengthField: UInt32, limits: ClientProtocolLimits) throws(ClientProtocolError) -> Int {
        guard lengthField >= UInt32(headerBytes - 4) else { throw .frameTooShort(length: lengthField) }
        guard Int(lengthField) <= limits.frameBytesMax - 4 else { throw .frameTooLarge(length: lengthField, max: limits.frameBytesMax) }
        return Int(lengthField) + 4
    }

    /// The frame carrying `frame`'s request.
    public static func encode(_ frame: ClientFrame<ClientRequest>) -> [UInt8] {
        seal(requestID: frame.requestID) { writer in frame.message.write(to: &writer) }
    }

    /// The frame carrying `frame`'s answer.
    public static func encode(_ frame: ClientFrame<ClientAnswer>) -> [UInt8] {
        seal(requestID: frame.requestID) { writer in frame.message.write(to: &writer) }
    }

    /// Decodes one whole frame (`frameSize` bytes) sent by a client.
    /// - Throws: `ClientProtocolError` for any frame that is not exactly one valid request.
    public static func decodeRequest(_ frame: [UInt8], limits: ClientProtocolLimits) throws(ClientProtocolError) -> ClientFrame<ClientRequest> {
        var (requestID, kind, reader) = try open(frame, limits: limits)
        guard kind.isRequest else { throw .unexpectedKind(kind.rawValue) }
        let request = try ClientRequest.read(kind, from: &reader)
        try reader.finish()
        return ClientFrame(requestID: requestID, message: request)
    }

    /// Decodes one whole frame (`frameSize` bytes) sent by a server.
    /// - Throws: `ClientProtocolError` for any frame that is not exactly one valid answer.
    public static func decodeAnswer(_ frame: [UInt8], limits: ClientProtocolLimits) throws(ClientProtocolError) -> ClientFrame<ClientAnswer> {
        var (requestID, kind, reader) = try open(frame, limits: limits)
        guard !kind.isRequest else { throw .unexpectedKind(kind.rawValue) }
        let answer = try ClientAnswer.read(kind, from: &reader)
        try reader.finish()
        return ClientFrame(requestID: requestID, message: answer)
    }

    private static func seal(requestID: UInt64, body: (inout WireWriter) -> Void) -> [UInt8] {
        var writer = WireWriter([UInt8](repeating: 0, count: 8))
        writer.u64(requestID)
        body(&writer)
        var bytes = writer.bytes
        let length = UInt32(bytes.count - 4)
        let crc = CRC32C.checksum(bytes[8...])
        for index in 0..<4 {
            bytes[index] = UInt8(truncatingIfNeeded: length >> (8 * index))
            bytes[4 + index] = UInt8(truncatingIfNeeded: crc >> (8 * index))
        }
        return bytes
    }

    /// Checks length and CRC, reads the request ID and kind; the reader is left at the body.
    private static func open(_ frame: [UInt8], limits: ClientProtocolLimits) throws(ClientProtocolError) -> (UInt64, MessageKind, WireReader) {
        var reader = WireReader(frame, position: 0, limits: limits)
        let size = try frameSize(lengthField: try reader.u32("frame length"), limits: limits)
        guard size == frame.count else {
            if size > frame.count { throw .truncated(field: "frame") }
            throw .trailingBytes(count: frame.count - size)
        }
        let stored = try reader.u32("frame CRC")
        let computed = CRC32C.checksum(frame[8...])
        guard stored == computed else { throw .checksumMismatch(stored: stored, computed: computed) }
        let requestID = try reader.u64("request ID")
        let rawKind = try reader.u16("kind")
        guard let kind = MessageKind(rawValue: rawKind) else { throw .unknownKind(rawKind) }
        return (requestID, kind, reader)
    }
}
