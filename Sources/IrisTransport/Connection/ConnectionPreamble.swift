import IrisClientProtocol

/// The 8 bytes that open every connection to a node (SPEC.md §12.1): four ASCII letters
/// naming the protocol, then its version as u32 little-endian.
public enum ConnectionPreamble {
    /// Bytes in a preamble.
    public static let byteCount = 8
    /// The version both protocols speak.
    public static let version: UInt32 = 1
    /// "IRSP" version 1: a peer node.
    public static let peer: [UInt8] = Array("IRSP".utf8) + [1, 0, 0, 0]
    /// "IRSC" version 1: a client (`IrisClientProtocol.ClientPreamble.bytes`).
    public static let client: [UInt8] = ClientPreamble.bytes

    /// The kind of connection `bytes` (exactly `byteCount` of them) opens; nil for anything
    /// else, another version included.
    public static func kind(of bytes: [UInt8]) -> ConnectionKind? {
        switch bytes {
        case peer: .peer
        case client: .client
        default: nil
        }
    }
}
