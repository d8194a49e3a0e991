import IrisLog

extension PeerWire {
    /// The HELLO frame (kind 1, no body) a node sends first on a connection.
    public static func encodeHello(_ header: PeerFrameHeader) -> [UInt8] {
        var bytes = startFrame(header, kind: .hello, bodyBytes: 0)
        return sealFrame(&bytes)
    }

    /// A MESSAGES frame (kind 2) carrying `messages` in order: one buffer, allocated once, sealed
    /// frames copied byte for byte.
    ///
    /// Every envelope MUST be from `header.from` to `header.to` (a precondition). The caller
    /// keeps the frame within the receiver's `PeerWireLimits` (`encodedBytes(of:)` says what
    /// each message adds to `headerBytes` + 4).
    public static func encodeMessages(_ header: PeerFrameHeader, _ messages: [PartitionMessage]) -> [UInt8] {
        let bodyBytes = messages.reduce(messageCountBytes) { $0 + encodedBytes(of: $1) }
        var bytes = startFrame(header, kind: .messages, bodyBytes: bodyBytes)
        append(UInt32(messages.count), to: &bytes)
        for message in messages {
            precondition(message.envelope.from == header.from && message.envelope.to == header.to,
                         "a peer frame carries only messages between its own two nodes")
            appendMessage(message, to: &bytes)
        }
        return sealFrame(&bytes)
    }

    /// The bytes `message` adds to a MESSAGES frame: partition, tag, body length and body.
    public static func encodedBytes(of message: PartitionMessage) -> Int {
        messagePrefixBytes + bodyBytes(of: message.envelope.message)
    }

    static func bodyBytes(of message: Message) -> Int {
        switch message {
        case .voteRequest: 25
        case .voteResponse: 10
        case .appendRequest(let request):
            request.frames.reduce(appendRequestFixedBytes) { $0 + frameLengthBytes + $1.bytes.count }
        case .appendResponse: 41
        case .timeoutNow: 8
        }
    }

    private static func startFrame(_ header: PeerFrameHeader, kind: PeerFrameKind, bodyBytes: Int) -> [UInt8] {
        let frameBytes = headerBytes + bodyBytes
        precondition(frameBytes - lengthFieldBytes <= Int(UInt32.max), "a peer frame's length fits its u32 field")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(frameBytes)
        append(UInt32(frameBytes - lengthFieldBytes), to: &bytes)
        append(UInt32(0), to: &bytes)  // the CRC, stored by sealFrame
        append(frameVersion, to: &bytes)
        append(kind.rawValue, to: &bytes)
        append(header.clusterID.rawValue, to: &bytes)
        append(header.from.rawValue, to: &bytes)
        append(header.to.rawValue, to: &bytes)
        return bytes
    }

    /// Stores the CRC32C of every byte after the CRC field; checks the length field was right.
    private static func sealFrame(_ bytes: inout [UInt8]) -> [UInt8] {
        precondition(bytes.count == lengthFieldBytes + Int(loadLength(bytes)), "the length field announces the bytes written")
        let crcEnd = lengthFieldBytes + crcFieldBytes
        let crc = CRC32C.checksum(bytes[crcEnd...])
        for index in 0..<crcFieldBytes { bytes[lengthFieldBytes + index] = UInt8(truncatingIfNeeded: crc >> (8 * index)) }
        return bytes
    }

    private static func loadLength(_ bytes: [UInt8]) -> UInt32 {
        (0..<lengthFieldBytes).reduce(UInt32(0)) { $0 | UInt32(bytes[$1]) << (8 * $1) }
    }

    private static func appendMessage(_ message: PartitionMessage, to bytes: inout [UInt8]) {
        let body = message.envelope.message
        let length = bodyBytes(of: body)
        precondition(length <= Int(UInt32.max), "a message body's length fits its u32 field")
        append(message.partition.rawValue, to: &bytes)
        switch body {
        case .voteRequest(let request):
            bytes.append(MessageTag.voteRequest.rawValue)
            append(UInt32(length), to: &bytes)
            append(request.isPreVote, to: &bytes)
            append(request.term.rawValue, to: &bytes)
            append(request.lastLogOffset.rawValue, to: &bytes)
            append(request.lastLogTerm.rawValue, to: &bytes)
        case .voteResponse(let response):
            bytes.append(MessageTag.voteResponse.rawValue)
            append(UInt32(length), to: &bytes)
            append(response.isPreVote, to: &bytes)
            append(response.term.rawValue, to: &bytes)
            append(response.granted, to: &bytes)
        case .appendRequest(let request):
            bytes.append(MessageTag.appendRequest.rawValue)
            append(UInt32(length), to: &bytes)
            appendBody(of: request, to: &bytes)
        case .appendResponse(let response):
            bytes.append(MessageTag.appendResponse.rawValue)
            append(UInt32(length), to: &bytes)
            append(response.term.rawValue, to: &bytes)
            append(response.success, to: &bytes)
            append(response.matchOffset.rawValue, to: &bytes)
            append(response.rejectedPrevLogOffset.rawValue, to: &bytes)
            append(response.hintOffset.rawValue, to: &bytes)
            append(response.hintTerm.rawValue, to: &bytes)
        case .timeoutNow(let message):
            bytes.append(MessageTag.timeoutNow.rawValue)
            append(UInt32(length), to: &bytes)
            append(message.term.rawValue, to: &bytes)
        }
    }

    private static func appendBody(of request: AppendRequest, to bytes: inout [UInt8]) {
        append(request.term.rawValue, to: &bytes)
        append(request.prevLogOffset.rawValue, to: &bytes)
        append(request.prevLogTerm.rawValue, to: &bytes)
        append(UInt32(request.frames.count), to: &bytes)
        for frame in request.frames {
            append(UInt32(frame.bytes.count), to: &bytes)
            bytes.append(contentsOf: frame.bytes)
        }
        append(request.commitOffset.rawValue, to: &bytes)
    }

    private static func append(_ value: Bool, to bytes: inout [UInt8]) { bytes.append(value ? 1 : 0) }

    private static func append<T: FixedWidthInteger & UnsignedInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}
