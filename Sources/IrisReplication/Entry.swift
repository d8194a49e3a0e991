/// One replicated frame: a contiguous batch of records written by one leader.
///
/// In this version every entry covers exactly one record (`recordCount == 1`),
/// so `offset` is both the first and the last offset of the frame. The type keeps
/// `recordCount` so the wire format and the storage engine's frame header do not
/// change when multi-record frames are enabled.
public struct Entry: Hashable, Sendable {
    /// Fixed bytes charged per entry for flow control (frame header estimate).
    public static let headerBytes = 32

    /// Term of the leader that created the entry.
    public let term: Term
    /// Offset of the first record in the entry.
    public let offset: Offset
    /// Number of records in the entry; always 1 in this version.
    public let recordCount: UInt32
    /// Opaque bytes, stored and replicated byte for byte.
    public let payload: [UInt8]

    public init(term: Term, offset: Offset, recordCount: UInt32 = 1, payload: [UInt8]) {
        precondition(recordCount == 1, "multi-record frames are not supported yet")
        precondition(term > .zero, "entries never carry term 0")
        precondition(offset > .zero, "offset 0 names the empty prefix")
        self.term = term
        self.offset = offset
        self.recordCount = recordCount
        self.payload = payload
    }

    /// Bytes charged against flow-control budgets for this entry.
    public var accountedBytes: Int { Entry.headerBytes + payload.count }
}
