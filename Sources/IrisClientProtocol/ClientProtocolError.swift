/// Why bytes received on a client connection are not a valid frame (SPEC.md §12). Any of
/// these closes the connection: a peer that sends one is broken or hostile, and nothing after
/// it can be trusted to start on a frame boundary.
public enum ClientProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The connection did not start with "IRSC" and version 1.
    case badPreamble([UInt8])
    /// The frame's length field is below the 14 bytes every frame has.
    case frameTooShort(length: UInt32)
    /// The frame's length field is above `ClientProtocolLimits.frameBytesMax`.
    case frameTooLarge(length: UInt32, max: Int)
    /// The CRC32C stored in the frame differs from the one computed over its bytes.
    case checksumMismatch(stored: UInt32, computed: UInt32)
    /// The kind field names no message of this protocol version.
    case unknownKind(UInt16)
    /// A known kind in the wrong direction: an answer sent to a server or a request to a client.
    case unexpectedKind(UInt16)
    /// The body ended inside `field`.
    case truncated(field: String)
    /// Bytes were left after the last field of the body.
    case trailingBytes(count: Int)
    /// `field` holds `value`, above the limit `max`.
    case limitExceeded(field: String, value: Int, max: Int)
    /// `field` is not valid UTF-8.
    case invalidUTF8(field: String)

    /// One line naming what was wrong, for the log line written before the connection closes.
    public var description: String {
        switch self {
        case .badPreamble(let bytes):
            return "connection preamble \(bytes.map { String($0, radix: 16) }) is not \"IRSC\" version 1: the peer speaks another protocol or version"
        case .frameTooShort(let length): return "frame length \(length) is below the 14-byte minimum"
        case .frameTooLarge(let length, let max): return "frame length \(length) is above the limit of \(max) bytes"
        case .checksumMismatch(let stored, let computed):
            return "frame CRC32C mismatch (stored \(String(stored, radix: 16)), computed \(String(computed, radix: 16))): bytes were damaged in transit"
        case .unknownKind(let kind): return "unknown message kind \(kind)"
        case .unexpectedKind(let kind): return "message kind \(kind) is not allowed in this direction"
        case .truncated(let field): return "frame body ends inside \(field)"
        case .trailingBytes(let count): return "\(count) bytes follow the last field of the frame body"
        case .limitExceeded(let field, let value, let max): return "\(field) is \(value), above the limit of \(max)"
        case .invalidUTF8(let field): return "\(field) is not valid UTF-8"
        }
    }
}
