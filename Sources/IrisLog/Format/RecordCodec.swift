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
        var body: [UInt8] = []
        for (index, record) in records.enumerated() {
            body.removeAll(keepingCapacity: true)
            ByteCoding.appendVarint(UInt64(index), to: &body)
            ByteCoding.appendVarint(ByteCoding.zigzag(timestamps[index] &- baseTimestamp), to: &body)
            if let key = record.key {
                ByteCoding.appendVarint(UInt64(key.count) + 1, to: &body)
                body.append(contentsOf: key)
            } else {
                ByteCoding.appendVarint(0, to: &body)
            }
            ByteCoding.appendVarint(UInt64(record.value.count), to: &body)
            body.append(contentsOf: record.value)
            ByteCoding.appendVarint(UInt64(record.headers.count), to: &body)
            for header in record.headers {
                let name = Array(header.name.utf8)
                ByteCoding.appendVarint(UInt64(name.count), to: &body)
                body.append(contentsOf: name)
                ByteCoding.appendVarint(UInt64(header.value.count), to: &body)
                body.append(contentsOf: header.value)
            }
            ByteCoding.appendVarint(UInt64(body.count), to: &payload)
            payload.append(contentsOf: body)
        }
    }

    /// Decodes exactly `count` records from `payload`, which must contain nothing else.
    package static func decode(
        _ payload: UnsafeRawBufferPointer, count: Int, baseOffset: Offset, baseTimestamp: Int64, term: Term
    ) throws(FrameDefect) -> [LogRecord] {
        var reader = ByteReader(payload)
        var records: [LogRecord] = []
        records.reserveCapacity(min(count, payload.count))
        for index in 0..<count {
            guard let bodyLength = reader.readVarint(), bodyLength <= UInt64(reader.remaining) else {
                throw .badRecord(index: index, reason: "record length runs past the payload")
            }
            let bodyEnd = reader.position + Int(bodyLength)
            var body = ByteReader(UnsafeRawBufferPointer(rebasing: payload[..<bodyEnd]), position: reader.position)
            let record = try decodeBody(&body, index: index, baseOffset: baseOffset, baseTimestamp: baseTimestamp, term: term)
            guard body.position == bodyEnd else {
                throw .badRecord(index: index, reason: "record body has \(bodyEnd - body.position) unread bytes")
            }
            records.append(record)
            reader = ByteReader(payload, position: bodyEnd)
        }
        guard reader.remaining == 0 else {
            throw .badRecord(index: count, reason: "\(reader.remaining) bytes follow the last record")
        }
        return records
    }

    private static func decodeBody(
        _ body: inout ByteReader, index: Int, baseOffset: Offset, baseTimestamp: Int64, term: Term
    ) throws(FrameDefect) -> LogRecord {
        guard let offsetDelta = body.readVarint(), offsetDelta == UInt64(index) else {
            throw .badRecord(index: index, reason: "offset delta is not \(index)")
        }
        guard let timestampDelta = body.readVarint() else { throw .badRecord(index: index, reason: "bad timestamp delta") }
        guard let keyField = body.readVarint() else { throw .badRecord(index: index, reason: "bad key length") }
        var key: [UInt8]? = nil
        if keyField > 0 {
            guard keyField - 1 <= UInt64(body.remaining), let bytes = body.readBytes(count: Int(keyField - 1)) else {
                throw .badRecord(index: index, reason: "key runs past the record")
            }
            key = bytes
        }
        guard let valueLength = body.readVarint(), valueLength <= UInt64(body.remaining),
              let value = body.readBytes(count: Int(valueLength)) else {
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
        return LogRecord(
            offset: baseOffset.advanced(by: UInt64(index)),
            timestampMicroseconds: baseTimestamp &+ ByteCoding.unzigzag(timestampDelta),
            key: key, value: value, headers: headers, term: term)
    }
}
