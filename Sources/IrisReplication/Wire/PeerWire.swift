/// The peer wire format (SPEC.md §9.5.6): how nodes exchange the replication messages of every
/// partition over one connection per node pair. Pure: bytes in, values out, and back.
///
/// A connection starts with `preamble`, sent once by the dialer. Then both sides send frames;
/// the first frame from each side is a HELLO (`encodeHello`), the rest carry messages
/// (`encodeMessages`). A receiver cuts the byte stream into frames with `frameLength(prefix:limits:)`
/// and decodes each with `decode(_:limits:receiver:)`, which checks everything before it
/// returns a message, and never traps or allocates more than the input's size allows.
public enum PeerWire {
    /// The first four bytes of a peer connection: ASCII "IRSP" (a client connection starts "IRSC").
    public static let preambleMagic: [UInt8] = Array("IRSP".utf8)
    /// The peer protocol version the preamble announces.
    public static let protocolVersion: UInt32 = 1
    /// The 8 bytes a dialer sends first: `preambleMagic`, then `protocolVersion` as a little-endian u32.
    public static let preamble: [UInt8] = preambleMagic + [1, 0, 0, 0]
    /// The version field of every frame.
    public static let frameVersion: UInt16 = 1
    /// Bytes before a frame's body: length, CRC, version, kind, cluster, sender, recipient.
    public static let headerBytes = 36
    /// Bytes of the length field that starts a frame; its value counts the bytes after it.
    public static let lengthFieldBytes = 4

    static let crcFieldBytes = 4
    static let messageCountBytes = 4
    /// Partition, tag and body length before each message's body.
    static let messagePrefixBytes = 9
    /// An AppendRequest's term, prevLogOffset, prevLogTerm, frame count and commitOffset.
    static let appendRequestFixedBytes = 36
    /// The length before each sealed frame inside an AppendRequest.
    static let frameLengthBytes = 4

    /// Checks the 8 bytes that start a peer connection.
    ///
    /// - Throws: `PeerWireError.notPeerPreamble` when the bytes are not 8 or do not start with
    ///   "IRSP"; `.unsupportedPreambleVersion` when the version is not `protocolVersion`.
    public static func validatePreamble(_ bytes: [UInt8]) throws(PeerWireError) {
        guard bytes.count == preamble.count, bytes.prefix(preambleMagic.count).elementsEqual(preambleMagic) else {
            throw .notPeerPreamble(Array(bytes.prefix(preamble.count)))
        }
        let version = littleEndianUInt32(bytes.dropFirst(preambleMagic.count))
        guard version == protocolVersion else { throw .unsupportedPreambleVersion(version) }
    }

    /// The bytes the frame starting at `prefix` occupies, length field included, for a decoder
    /// that accumulates a byte stream; nil while fewer than `lengthFieldBytes` bytes are there.
    ///
    /// - Throws: `PeerWireError.lengthOutOfRange` as soon as the length field shows a frame
    ///   shorter than a header or longer than `limits.peerFrameBytesMax`, so a receiver never
    ///   buffers more than that for one frame.
    public static func frameLength(prefix: some Collection<UInt8>, limits: PeerWireLimits) throws(PeerWireError) -> Int? {
        guard prefix.count >= lengthFieldBytes else { return nil }
        let length = littleEndianUInt32(prefix.prefix(lengthFieldBytes))
        let minimum = headerBytes - lengthFieldBytes
        let maximum = limits.peerFrameBytesMax - lengthFieldBytes
        guard Int(length) >= minimum, Int(length) <= maximum else {
            throw .lengthOutOfRange(length: length, minimum: minimum, maximum: maximum)
        }
        return lengthFieldBytes + Int(length)
    }

    private static func littleEndianUInt32(_ bytes: some Collection<UInt8>) -> UInt32 {
        var value: UInt32 = 0
        for (index, byte) in bytes.prefix(4).enumerated() { value |= UInt32(byte) << (8 * index) }
        return value
    }
}

/// The kind field of a peer frame.
enum PeerFrameKind: UInt16 {
    case hello = 1
    case messages = 2
}

/// A message's tag inside a MESSAGES frame (SPEC.md §9.5).
enum MessageTag: UInt8 {
    case voteRequest = 1
    case voteResponse = 2
    case appendRequest = 3
    case appendResponse = 4
    case timeoutNow = 5
}
