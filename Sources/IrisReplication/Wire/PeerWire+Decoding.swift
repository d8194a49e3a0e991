import IrisLog

extension PeerWire {
    /// Decodes one whole frame (`bytes` holds exactly the bytes `frameLength(prefix:limits:)`
    /// announced) and checks, in order: length, CRC, version, kind, cluster, sender, recipient,
    /// then each message's partition, fields and structure (SPEC.md §9.5.5-§9.5.6). Messages
    /// with an unknown tag are skipped and counted.
    ///
    /// - Throws: the first `PeerWireError` found. Never traps, whatever the bytes.
    public static func decode(_ bytes: [UInt8], limits: PeerWireLimits, receiver: PeerWireReceiver) throws(PeerWireError) -> PeerFrame {
        guard let frameBytes = try frameLength(prefix: bytes, limits: limits) else {
            throw .fieldBeyondEnd(field: "length", position: 0, bytesNeeded: UInt64(lengthFieldBytes), bytesLeft: bytes.count)
        }
        guard bytes.count >= frameBytes else {
            throw .fieldBeyondEnd(field: "frame", position: lengthFieldBytes,
                                  bytesNeeded: UInt64(frameBytes - lengthFieldBytes), bytesLeft: bytes.count - lengthFieldBytes)
        }
        guard bytes.count == frameBytes else {
            throw .trailingBytes(after: "frame", position: frameBytes, count: bytes.count - frameBytes)
        }
        var reader = PeerWireReader(bytes, position: lengthFieldBytes, end: frameBytes)
        let stored = try reader.readUInt32("crc")
        let computed = CRC32C.checksum(bytes[reader.position...])
        guard stored == computed else { throw .checksumMismatch(stored: stored, computed: computed) }
        let (kind, header) = try decodeHeader(&reader, receiver: receiver)
        switch kind {
        case .hello:
            try reader.expectEnd(after: "HELLO header")
            return PeerFrame(header: header, body: .hello)
        case .messages:
            return try decodeMessages(&reader, header: header, limits: limits)
        }
    }

    private static func decodeHeader(
        _ reader: inout PeerWireReader, receiver: PeerWireReceiver
    ) throws(PeerWireError) -> (PeerFrameKind, PeerFrameHeader) {
        let version = try reader.readUInt16("version")
        guard version == frameVersion else { throw .unknownVersion(version) }
        let kindValue = try reader.readUInt16("kind")
        guard let kind = PeerFrameKind(rawValue: kindValue) else { throw .unknownKind(kindValue) }
        let clusterID = ClusterID(try reader.readUInt64("clusterID"))
        guard clusterID == receiver.clusterID else { throw .clusterMismatch(received: clusterID, expected: receiver.clusterID) }
        let from = NodeID(try reader.readUInt64("fromNode"))
        guard from != receiver.nodeID, receiver.members.contains(from) else { throw .unknownSender(from) }
        let to = NodeID(try reader.readUInt64("toNode"))
        guard to == receiver.nodeID else { throw .wrongRecipient(received: to, expected: receiver.nodeID) }
        return (kind, PeerFrameHeader(clusterID: clusterID, from: from, to: to))
    }

    private static func decodeMessages(
        _ reader: inout PeerWireReader, header: PeerFrameHeader, limits: PeerWireLimits
    ) throws(PeerWireError) -> PeerFrame {
        let count = try reader.readUInt32("message count")
        guard Int(count) <= limits.messagesPerPeerFrameMax else {
            throw .tooManyMessages(count: count, maximum: limits.messagesPerPeerFrameMax)
        }
        try reader.require(UInt64(count) * UInt64(messagePrefixBytes), for: "messages")
        var messages: [PartitionMessage] = []
        messages.reserveCapacity(Int(count))  // bounded by the bytes left, just checked
        var skippedMessageCount = 0
        for _ in 0..<count {
            let partitionValue = try reader.readUInt32("message partition")
            let tagValue = try reader.readUInt8("message tag")
            let bodyLength = try reader.readUInt32("message body length")
            var body = try reader.readRegion(count: bodyLength, "message body")
            guard let tag = MessageTag(rawValue: tagValue) else {
                skippedMessageCount += 1  // SPEC.md §9.5: a message of an unknown type is dropped
                continue
            }
            let partition = PartitionID(partitionValue)
            guard Int(partitionValue) < limits.partitionCount else {
                throw .partitionOutOfRange(partition: partition, partitionCount: limits.partitionCount)
            }
            let message = try decodeMessage(tag, &body, partition: partition, limits: limits)
            messages.append(PartitionMessage(partition: partition, envelope: Envelope(from: header.from, to: header.to, message: message)))
        }
        try reader.expectEnd(after: "the last message")
        return PeerFrame(header: header, body: .messages(messages), skippedMessageCount: skippedMessageCount)
    }

    /// Reads one message body (§9.5.1-§9.5.4) to its exact end, then applies the §9.5.5 checks
    /// the message shows on its own.
    private static func decodeMessage(
        _ tag: MessageTag, _ body: inout PeerWireReader, partition: PartitionID, limits: PeerWireLimits
    ) throws(PeerWireError) -> Message {
        let message: Message
        switch tag {
        case .voteRequest:
            message = .voteRequest(VoteRequest(
                isPreVote: try body.readBool("VoteRequest.isPreVote"),
                term: Term(try body.readUInt64("VoteRequest.term")),
                lastLogOffset: LogEnd(try body.readUInt64("VoteRequest.lastLogOffset")),
                lastLogTerm: Term(try body.readUInt64("VoteRequest.lastLogTerm"))))
            try body.expectEnd(after: "VoteRequest")
        case .voteResponse:
            message = .voteResponse(VoteResponse(
                isPreVote: try body.readBool("VoteResponse.isPreVote"),
                term: Term(try body.readUInt64("VoteResponse.term")),
                granted: try body.readBool("VoteResponse.granted")))
            try body.expectEnd(after: "VoteResponse")
        case .appendRequest:
            return .appendRequest(try decodeAppendRequest(&body, partition: partition, limits: limits))
        case .appendResponse:
            message = .appendResponse(AppendResponse(
                term: Term(try body.readUInt64("AppendResponse.term")),
                success: try body.readBool("AppendResponse.success"),
                matchOffset: LogEnd(try body.readUInt64("AppendResponse.matchOffset")),
                rejectedPrevLogOffset: LogEnd(try body.readUInt64("AppendResponse.rejectedPrevLogOffset")),
                hintOffset: LogEnd(try body.readUInt64("AppendResponse.hintOffset")),
                hintTerm: Term(try body.readUInt64("AppendResponse.hintTerm"))))
            try body.expectEnd(after: "AppendResponse")
        case .timeoutNow:
            message = .timeoutNow(TimeoutNow(term: Term(try body.readUInt64("TimeoutNow.term"))))
            try body.expectEnd(after: "TimeoutNow")
        }
        if let defect = message.defect(frameBytesMax: limits.frameBytesMax, messageBytesMax: limits.messageBytesMax) {
            throw .invalidMessage(partition: partition, defect: defect)
        }
        return message
    }

    private static func decodeAppendRequest(
        _ body: inout PeerWireReader, partition: PartitionID, limits: PeerWireLimits
    ) throws(PeerWireError) -> AppendRequest {
        let term = Term(try body.readUInt64("AppendRequest.term"))
        let prevLogOffset = LogEnd(try body.readUInt64("AppendRequest.prevLogOffset"))
        let prevLogTerm = Term(try body.readUInt64("AppendRequest.prevLogTerm"))
        let frameCount = try body.readUInt32("AppendRequest frame count")
        // Each frame takes its length field and at least a frame header: a count the bytes left
        // cannot hold is refused before anything is allocated for it.
        try body.require(UInt64(frameCount) * UInt64(frameLengthBytes + FrameHeader.size), for: "AppendRequest.frames")
        var frames: [SealedFrame] = []
        frames.reserveCapacity(Int(frameCount))
        for index in 0..<Int(frameCount) {
            let length = try body.readUInt32("AppendRequest frame length")
            let bytes = try body.readBytes(count: length, "AppendRequest frame")
            do {
                frames.append(try SealedFrame(validating: bytes))
            } catch {
                throw .invalidSealedFrame(partition: partition, index: index, reason: reason(error))
            }
        }
        let commitOffset = LogEnd(try body.readUInt64("AppendRequest.commitOffset"))
        try body.expectEnd(after: "AppendRequest")
        do {
            return try AppendRequest(
                validating: term, prevLogOffset: prevLogOffset, prevLogTerm: prevLogTerm, frames: frames,
                commitOffset: commitOffset, frameBytesMax: limits.frameBytesMax, messageBytesMax: limits.messageBytesMax)
        } catch {
            throw .invalidMessage(partition: partition, defect: error)
        }
    }

    private static func reason(_ error: LogError) -> String {
        if case .invalidFrame(let reason) = error { return reason }
        return error.description
    }
}
