/// A header attached to a record: an application-defined name and bytes.
public struct RecordHeader: Hashable, Sendable {
    public var name: String
    public var value: [UInt8]

    public init(name: String, value: [UInt8]) {
        self.name = name
        self.value = value
    }
}

/// A record to append. The log assigns its offset.
public struct Record: Hashable, Sendable {
    /// Optional key; `nil` and an empty key are stored differently.
    public var key: [UInt8]?
    /// The record's bytes; may be empty.
    public var value: [UInt8]
    /// Optional headers, stored in order.
    public var headers: [RecordHeader]
    /// Microseconds since the Unix epoch; `nil` lets the log stamp the append time.
    public var timestampMicroseconds: Int64?

    public init(value: [UInt8], key: [UInt8]? = nil, headers: [RecordHeader] = [], timestampMicroseconds: Int64? = nil) {
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMicroseconds = timestampMicroseconds
    }

    /// Bytes the record's content occupies before encoding overhead.
    var contentBytes: Int {
        (key?.count ?? 0) + value.count + headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.count }
    }
}

/// A record read back from the log.
public struct LogRecord: Hashable, Sendable {
    public var offset: Offset
    public var timestampMicroseconds: Int64
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [RecordHeader]
    /// The term of the frame the record was stored in.
    public var term: Term

    public init(offset: Offset, timestampMicroseconds: Int64, key: [UInt8]?, value: [UInt8], headers: [RecordHeader], term: Term) {
        self.offset = offset
        self.timestampMicroseconds = timestampMicroseconds
        self.key = key
        self.value = value
        self.headers = headers
        self.term = term
    }
}
