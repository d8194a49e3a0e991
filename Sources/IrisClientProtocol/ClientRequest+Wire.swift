import IrisLog

extension ClientRequest {
    var kind: MessageKind {
        switch self {
        case .append: .append
        case .read: .read
        case .follow: .follow
        case .followAck: .followAck
        case .status: .status
        }
    }

    func write(to writer: inout WireWriter) {
        writer.u16(kind.rawValue)
        switch self {
        case .append(let request):
            writer.u32(request.partition)
            writer.u64(request.producerID)
            writer.u64(request.sequence)
            writer.u32(UInt32(request.records.count))
            for record in request.records { writer.recordContent(key: record.key, value: record.value, headers: record.headers) }
        case .read(let request):
            writer.u32(request.partition)
            writer.u64(request.from.rawValue)
            writer.u32(request.maxBytes)
            writer.u32(request.waitMilliseconds)
        case .follow(let request):
            writer.u32(request.partition)
            writer.u64(request.from.rawValue)
            writer.u32(request.maxBytes)
        case .followAck, .status:
            break
        }
    }

    static func read(_ kind: MessageKind, from reader: inout WireReader) throws(ClientProtocolError) -> ClientRequest {
        switch kind {
        case .append:
            let partition = try reader.u32("partition")
            let producerID = try reader.u64("producer ID")
            let sequence = try reader.u64("sequence")
            let count = try reader.count(Int(try reader.u32("record count")), "record count", minimumBytes: 10, max: reader.limits.recordsMax)
            var records: [Record] = []
            records.reserveCapacity(count)
            for _ in 0..<count {
                let content = try reader.recordContent()
                records.append(Record(value: content.value, key: content.key, headers: content.headers))
            }
            return .append(AppendRequest(partition: partition, producerID: producerID, sequence: sequence, records: records))
        case .read:
            return .read(ReadRequest(
                partition: try reader.u32("partition"), from: Offset(try reader.u64("from offset")),
                maxBytes: try reader.u32("max bytes"), waitMilliseconds: try reader.u32("wait milliseconds")))
        case .follow:
            return .follow(FollowRequest(partition: try reader.u32("partition"), from: Offset(try reader.u64("from offset")), maxBytes: try reader.u32("max bytes")))
        case .followAck: return .followAck
        case .status: return .status
        default: throw .unexpectedKind(kind.rawValue)
        }
    }
}

extension AppendRequest {
    /// Checks what a receiver with `limits` checks, so a client refuses a batch before
    /// sending it instead of having its connection closed.
    /// - Throws: `.limitExceeded` naming the first field over its bound.
    public func check(limits: ClientProtocolLimits) throws(ClientProtocolError) {
        guard records.count <= limits.recordsMax else { throw .limitExceeded(field: "record count", value: records.count, max: limits.recordsMax) }
        var bytes = ClientFrameCodec.headerBytes + 24
        for record in records {
            guard record.headers.count <= Int(UInt16.max) else { throw .limitExceeded(field: "header count", value: record.headers.count, max: Int(UInt16.max)) }
            bytes += 10 + (record.key?.count ?? 0) + record.value.count
            for header in record.headers {
                let nameBytes = header.name.utf8.count
                guard nameBytes <= limits.stringBytesMax else { throw .limitExceeded(field: "header name length", value: nameBytes, max: limits.stringBytesMax) }
                bytes += 6 + nameBytes + header.value.count
            }
            guard bytes <= limits.frameBytesMax else { throw .limitExceeded(field: "frame bytes", value: bytes, max: limits.frameBytesMax) }
        }
    }
}
