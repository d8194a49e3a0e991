/// A header attached to a record: an application-defined name and bytes.
public struct RecordHeader: Hashable, Sendable {
    /// The header's name, stored as UTF-8; names need not be unique within a record.
    public var name: String
    /// The header's bytes; may be empty.
    public var value: [UInt8]

    /// A header named `name` holding `value`.
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

    /// A record holding `value`, with an optional key, headers and timestamp (microseconds since
    /// the Unix epoch; `nil`, the default, stamps it with the append time).
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
    /// The record's offset in its log.
    public var offset: Offset
    /// Microseconds since the Unix epoch: the timestamp given to `Record`, or the append time.
    public var timestampMicroseconds: Int64
    /// The key as appended; `nil` when it had none (an empty key reads back empty, not `nil`).
    public var key: [UInt8]?
    /// The record's bytes as appended.
    public var value: [UInt8]
    /// The headers as appended, in order.
    public var headers: [RecordHeader]
    /// The term of the frame the record was stored in.
    public var term: Term

    /// A record with every field given; the log builds these when it reads. Tests and
    /// simulators use it to state what a read should return.
    public init(offset: Offset, timestampMicroseconds: Int64, key: [UInt8]?, value: [UInt8], headers: [RecordHeader], term: Term) {
        self.offset = offset
        self.timestampMicroseconds = timestampMicroseconds
        self.key = key
        self.value = value
        self.headers = headers
        self.term = term
    }
}

/// A record read back from the log whose key and value are slices of the bytes its frame was
/// read into (`Log.readSlices(from:maxBytes:)`, `Log.fetch(from:maxBytes:)`): a read of many
/// records allocates an array per frame (two for a compressed frame), none per record. A slice
/// keeps its whole frame's bytes alive; copy it (`record`, `Array(value)`) to keep one value
/// for long on its own.
public struct RecordSlice: Hashable, Sendable {
    /// The record's offset in its log.
    public var offset: Offset
    /// Microseconds since the Unix epoch: the timestamp given to `Record`, or the append time.
    public var timestampMicroseconds: Int64
    /// The key as appended; `nil` when it had none (an empty key reads back empty, not `nil`).
    public var key: ArraySlice<UInt8>?
    /// The record's bytes as appended.
    public var value: ArraySlice<UInt8>
    /// The headers as appended, in order.
    public var headers: [RecordHeader]
    /// The term of the frame the record was stored in.
    public var term: Term

    /// The same record with its key and value in arrays of their own.
    public var record: LogRecord {
        LogRecord(offset: offset, timestampMicroseconds: timestampMicroseconds, key: key.map(Array.init),
                  value: Array(value), headers: headers, term: term)
    }

    /// Bytes of key, value and headers: what `maxBytes` of a read counts.
    var contentBytes: Int {
        value.count + (key?.count ?? 0) + headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.count }
    }
}

/// A record as `Log.scan(from:maxBytes:_:)` hands it over: its key and value are views of the
/// scan's buffer, which it reuses, so they are valid only during the call that receives them.
/// Copy what must outlive it (`Array(view.value)`, `view.record`).
public struct RecordView {
    /// The record's offset in its log.
    public let offset: Offset
    /// Microseconds since the Unix epoch: the timestamp given to `Record`, or the append time.
    public let timestampMicroseconds: Int64
    /// The key as appended; `nil` when it had none. Valid during the call only.
    public let key: UnsafeRawBufferPointer?
    /// The record's bytes as appended. Valid during the call only.
    public let value: UnsafeRawBufferPointer
    /// The headers as appended, in order (arrays of their own: headers are rare).
    public let headers: [RecordHeader]
    /// The term of the frame the record was stored in.
    public let term: Term

    /// The same record with its key and value copied into arrays of their own.
    public var record: LogRecord {
        LogRecord(offset: offset, timestampMicroseconds: timestampMicroseconds, key: key.map { [UInt8]($0) },
                  value: [UInt8](value), headers: headers, term: term)
    }

    /// Bytes of key, value and headers: what `maxBytes` of a scan counts.
    var contentBytes: Int {
        value.count + (key?.count ?? 0) + headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.count }
    }
}
