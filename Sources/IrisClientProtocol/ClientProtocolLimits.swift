/// Bounds every decoder of the client protocol checks (SPEC.md §12.6): no length or count
/// read from the wire is trusted beyond them, so a hostile peer cannot make the receiver
/// allocate more than one frame's worth of memory.
public struct ClientProtocolLimits: Sendable, Hashable {
    /// Largest frame accepted, length field included (default 16 MiB; at least 1 KiB).
    public var frameBytesMax: Int
    /// Largest number of records in one APPEND or RECORDS body (default 65,536).
    public var recordsMax: Int
    /// Largest string (address, reason, header name) in bytes (default 4,096).
    public var stringBytesMax: Int

    /// The defaults: 16 MiB frames, 65,536 records, 4,096-byte strings.
    public init(frameBytesMax: Int = 16 << 20, recordsMax: Int = 65_536, stringBytesMax: Int = 4_096) {
        precondition(frameBytesMax >= 1_024 && frameBytesMax <= Int(UInt32.max), "frameBytesMax must be within 1 KiB ... 4 GiB")
        precondition(recordsMax >= 1 && stringBytesMax >= 16 && stringBytesMax <= Int(UInt16.max), "recordsMax >= 1, stringBytesMax within 16 ... 65,535")
        self.frameBytesMax = frameBytesMax
        self.recordsMax = recordsMax
        self.stringBytesMax = stringBytesMax
    }
}
