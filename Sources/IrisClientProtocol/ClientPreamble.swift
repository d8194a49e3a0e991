/// The 8 bytes a client writes first on a new connection (SPEC.md §12.1): ASCII "IRSC" and
/// the protocol version, u32 little-endian.
public enum ClientPreamble {
    /// The protocol version this code speaks.
    public static let version: UInt32 = 1
    /// "IRSC" followed by version 1: `49 52 53 43 01 00 00 00`.
    public static let bytes: [UInt8] = Array("IRSC".utf8) + [1, 0, 0, 0]
}
