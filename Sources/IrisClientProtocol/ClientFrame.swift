/// One frame of the client protocol: the request ID that pairs answers with requests, and
/// the message (`ClientRequest` from a client, `ClientAnswer` from a server).
public struct ClientFrame<Message: Sendable & Hashable>: Sendable, Hashable {
    /// Chosen by the client, unique among its requests in flight on the connection; an answer
    /// (and every batch a FOLLOW pushes) carries its request's ID.
    public var requestID: UInt64
    /// The request or answer.
    public var message: Message

    /// A frame carrying `message` for request `requestID`.
    public init(requestID: UInt64, message: Message) {
        self.requestID = requestID
        self.message = message
    }
}

/// The u16 kind field of a frame (SPEC.md §12.3): requests below 0x8000, answers above.
enum MessageKind: UInt16 {
    case append = 1, read = 2, follow = 3, followAck = 4, status = 5
    case appended = 0x8001, notLeader = 0x8002, overloaded = 0x8003, tooLarge = 0x8004, outcomeUnknown = 0x8005
    case unknownPartition = 0x8006, sequenceTooOld = 0x8007, unavailable = 0x8008, records = 0x8009, statusAnswer = 0x800A

    var isRequest: Bool { rawValue < 0x8000 }
}
