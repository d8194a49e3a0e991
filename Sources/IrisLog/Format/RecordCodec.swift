/// Encodes and decodes the records inside a frame's (uncompressed) payload; SPEC.md §3.3.
///
/// Each record is: varint bodyLength, then a body of exactly bodyLength bytes:
/// varint offsetDelta, zigzag varint timestampDelta, varint keyLength+1 (0 = no key), key,
/// varint valueLength, value, varint headerCount, then per header varint nameLength, name
/// (UTF-8), varint valueLength, value.
package enum RecordCodec {
    /// Appends `records` to `payload`; timestamps become deltas from `baseTimestamp`.
    package static func encode(_ records: [Record], timestamps: [Int64], baseTimestamp: Int64, into payload: inout [UInt8]) {
        precondition(records.count == timestamps.count)
        let size = encodedSize(records, baseTimestamp: baseTimestamp) { timestamps[$0] }
        let start = payload.count
        payload.append(contentsOf: repeatElement(0, count: size))
        payload.withUnsafeMutableBytes { buffer in
            var writer = ByteWriter(UnsafeMutableRawBufferPointer(rebasing: buffer[start...]))
            encode(records, baseTimestamp: baseTimestamp, timestamp: { timestamps[$0] }, into: &writer)
        }
    }

    /// Bytes `encode` writes for `records`, the record at index i stamped `timestamp(i)`.
    static func encodedSize(_ records: [Record], baseTimestamp: Int64, timestamp: (Int) -> Int64) -> Int {
        var size = 0
        for index in records.indices {
            let body = bodySize(records[index], index: index, timestampDelta: timestamp(index) &- baseTimestamp)
            size += ByteCoding.varintSize(UInt64(body)) + body
        }
        return size
    }

    /// Writes `records` (exactly `encodedSize` bytes) without intermediate buffers.
    static func encode(_ records: [Record], baseTimestamp: Int64, timestamp: (Int) -> Int64, into writer: inout ByteWriter) {
        for index in records.indices {
            let record = records[index]
            let delta = timestamp(index) &- baseTimestamp
            writer.writeVarint(UInt64(bodySize(record, index: index, timestampDelta: delta)))
            writer.writeVarint(UInt64(index))
            writer.writeVarint(ByteCoding.zigzag(delta))
            if let key = record.key {
                writer.writeVarint(UInt64(key.count) + 1)
                writer.writeBytes(key)
            } else {
                writer.writeVarint(0)
            }
            writer.writeVarint(UInt64(record.value.count))
            writer.writeBytes(record.value)
            writer.writeVarint(UInt64(record.headers.count))
            for header in record.headers {
                writer.writeVarint(UInt64(header.name.utf8.count))
                writer.writeBytes(header.name.utf8)
                writer.writeVarint(UInt64(header.value.count))
                writer.writeBytes(header.value)
            }
        }
    }

    /// Bytes of one record's body (everything after its length varint).
    private static func bodySize(_ record: Record, index: Int, timestampDelta: Int64) -> Int {
        var size = ByteCoding.varintSize(UInt64(index)) + ByteCoding.varintSize(ByteCoding.zigzag(timestampDelta))
        if let key = record.key {
            size += ByteCoding.varintSize(UInt64(key.count) + 1) + key.count
        } else {
            size += 1
        }
        size += ByteCoding.varintSize(UInt64(record.value.count)) + record.value.count
        size += ByteCoding.varintSize(UInt64(record.headers.count))
        for header in record.headers {
            let nameCount = header.name.utf8.count
            size += ByteCoding.varintSize(UInt64(nameCount)) + nameCount
            size += ByteCoding.varintSize(UInt64(header.value.count)) + header.value.count
        }
        return size
    }

    /// Decodes exactly `count` records from `payload`, which must contain nothing else.
    package static func decode(
        _ payload: UnsafeRawBufferPointer, count: Int, baseOffset: Offset, baseTimestamp: Int64, term: Term
    ) throws(FrameDefect) -> [LogRecord] {
        var records: [LogRecord] = []
        records.reserveCapacity(min(count, payload.count))
        try forEachRecord(payload, count: count, baseOffset: baseOffset, baseTimestamp: baseTimestamp) { layout in
            records.append(LogRecord(
                offset: layout.offset, timestampMicroseconds: layout.timestampMicroseconds,
                key: layout.key.map { [UInt8](UnsafeRawBufferPointer(rebasing: payload[$0])) },
                value: [UInt8](UnsafeRawBufferPointer(rebasing: payload[layout.value])), headers: layout.headers, term: term))
        }
        return records
    }

    /// Decodes exactly `count` records from the bytes of `storage` in `payloadRange` (which
    /// must contain nothing else) as slices of `storage`: no array per key or value.
    package static func decodeSlices(
        _ storage: [UInt8], payload payloadRange: Range<Int>, count: Int, baseOffset: Offset, baseTimestamp: Int64, term: Term,
        into records: inout [RecordSlice]
    ) throws(FrameDefect) {
        let payloadStart = payloadRange.lowerBound
        try storage.withBytes { (bytes) throws(FrameDefect) in
            let payload = UnsafeRawBufferPointer(rebasing: bytes[payloadRange])
            try forEachRecord(payload, count: count, baseOffset: baseOffset, baseTimestamp: baseTimestamp) { layout in
                records.append(RecordSlice(
                    offset: layout.offset, timestampMicroseconds: layout.timestampMicroseconds,
                    key: layout.key.map { storage[payloadStart + $0.lowerBound..<payloadStart + $0.upperBound] },
                    value: storage[payloadStart + layout.value.lowerBound..<payloadStart + layout.value.upperBound],
                    headers: layout.headers, term: term))
            }
        }
    }

    /// Where one decoded record's parts are in its payload.
    package struct RecordLayout {
        var offset: Offset
        var timestampMicroseconds: Int64
        var key: Range<Int>?
        var value: Range<Int>
        var headers: [RecordHeader]
    }

    /// Checks exactly `count` records of `payload` (which must contain nothing else) and
    /// replaces the contents of `layouts` with where their parts are, keeping its storage.
    package static func layouts(
        _ payload: UnsafeRawBufferPointer, count: Int, baseOffset: Offset, baseTimestamp: Int64, into layouts: inout [RecordLayout]
    ) throws(FrameDefect) {
        layouts.removeAll(keepingCapacity: true)
        try forEachRecord(payload, count: count, baseOffset: baseOffset, baseTimestamp: baseTimestamp) { layouts.append($0) }
    }

    /// Checks and walks exactly `count` records of `payload`, which must contain nothing else,
    /// handing each one's layout to `body` in order.
    private static func forEachRecord(
        _ payload: UnsafeRawBufferPointer, count: Int, baseOffset: Offset, baseTimestamp: Int64,
        _ body: (RecordLayout) throws(FrameDefect) -> Void
    ) throws(FrameDefect) {
        var reader = ByteReader(payload)
        for index in 0..<count {
            guard let bodyLength = reader.readVarint(), bodyLength <= UInt64(reader.remaining) else {
                throw .badRecord(index: index, reason: "record length runs past the payload")
            }
            let bodyEnd = reader.position + Int(bodyLength)
            var recordBody = ByteReader(UnsafeRawBufferPointer(rebasing: payload[..<bodyEnd]), position: reader.position)
            let layout = try decodeBody(&recordBody, index: index, baseOffset: baseOffset, baseTimestamp: baseTimestamp)
            guard recordBody.position == bodyEnd else {
                throw .badRecord(index: index, reason: "record body has \(bodyEnd - recordBody.position) unread bytes")
            }
            try body(layout)
            reader = ByteReader(payload, position: bodyEnd)
        }
        guard reader.remaining == 0 else {
            throw .badRecord(index: count, reason: "\(reader.remaining) bytes follow the last record")
        }
    }

    private static func decodeBody(
        _ body: inout ByteReader, index: Int, baseOffset: Offset, baseTimestamp: Int64
    ) throws(FrameDefect) -> RecordLayout {
        guard let offsetDelta = body.readVarint(), offsetDelta == UInt64(index) else {
            throw .badRecord(index: index, reason: "offset delta is not \(index)")
        }
        guard let timestampDelta = body.readVarint() else { throw .badRecord(index: index, reason: "bad timestamp delta") }
        guard let keyField = body.readVarint() else { throw .badRecord(index: index, reason: "bad key length") }
        var key: Range<Int>? = nil
        if keyField > 0 {
            guard keyField - 1 <= UInt64(body.remaining), let range = body.skip(count: Int(keyField - 1)) else {
                throw .badRecord(index: index, reason: "key runs past the record")
            }
            key = range
        }
        guard let valueLength = body.readVarint(), valueLength <= UInt64(body.remaining),
              let value = body.skip(count: Int(valueLength)) else {
            throw .badRecord(index: index, reason: "value runs past the record")
        }
        guard let headerCount = body.readVarint(), headerCount <= UInt64(body.remaining) else {
            throw .badRecord(index: index, reason: "bad header count")
        }
        var headers: [RecordHeader] = []
        for _ in 0..<headerCount {
            guard let nameLength = body.readVarint(), nameLength <= UInt64(body.remaining),
                  let name = body.readBytes(count: Int(nameLength)),
                  let valueLength = body.readVarint(), valueLength <= UInt64(body.remaining),
                  let headerValue = body.readBytes(count: Int(valueLength)) else {
                throw .badRecord(index: index, reason: "header runs past the record")
            }
            guard let nameString = String(validating: name, as: UTF8.self) else {
                throw .badRecord(index: index, reason: "header name is not UTF-8")
            }
            headers.append(RecordHeader(name: nameString, value: headerValue))
        }
        return RecordLayout(
            offset: baseOffset.advanced(by: UInt64(index)),
            timestampMicroseconds: baseTimestamp &+ ByteCoding.unzigzag(timestampDelta),
            key: key, value: value, headers: headers)
    }
}
