extension TopicIndex {
    /// The layout version `serialized()` writes and `init(deserializing:)` reads.
    public static let serializedVersion: UInt8 = 1
    /// The first four bytes of a serialised index: "ITIX".
    static let magic: [UInt8] = Array("ITIX".utf8)
    /// The longest topic name MQTT allows, in bytes.
    static let topicBytesMax = 65_535

    /// The index as bytes, for the router's checkpoint (the caller adds the CRC); SPEC.md §16.1.
    ///
    /// Topics are written in increasing byte order of their names, so equal indexes give equal
    /// bytes. Each topic's offsets are its first offset then the deltas, so the blocks' bytes are
    /// copied as they are.
    public func serialized() -> [UInt8] {
        var bytes = Self.magic
        bytes.append(Self.serializedVersion)
        if let lastOffset {
            bytes.append(1)
            withUnsafeBytes(of: lastOffset.littleEndian) { bytes.append(contentsOf: $0) }
        } else {
            bytes.append(0)
        }
        LEB128.append(UInt64(topics.count), to: &bytes)
        LEB128.append(UInt64(offsetCount), to: &bytes)
        let names = topics.keys.sorted { $0.text.utf8.lexicographicallyPrecedes($1.text.utf8) }
        for name in names {
            let topic = topics[name]!
            LEB128.append(UInt64(name.text.utf8.count), to: &bytes)
            bytes.append(contentsOf: name.text.utf8)
            LEB128.append(UInt64(topic.count), to: &bytes)
            LEB128.append(topic.first, to: &bytes)
            var previous = topic.first
            for blockIndex in 0..<topic.blockCount {
                let block = topic.block(blockIndex)
                if blockIndex > 0 {
                    LEB128.append(block.first - previous, to: &bytes)
                }
                bytes.append(contentsOf: block.deltas)
                previous = block.last
            }
        }
        return bytes
    }

    /// Reads an index written by `serialized()`.
    ///
    /// Strict: any input that `serialized()` could not have written throws, naming the byte;
    /// none traps. It checks the magic and version, every varint (shortest form, at most 64
    /// bits), names (1 to 65,535 bytes of valid UTF-8, in strictly increasing byte order), each
    /// topic's offsets (strictly increasing, at most the last offset), the offset count, that no
    /// offset is indexed under two topics, and that nothing follows.
    /// - Throws: `TopicIndexError` saying where the input is wrong.
    public init(deserializing bytes: [UInt8]) throws(TopicIndexError) {
        var reader = TopicIndexReader(bytes)
        guard try reader.bytes(Self.magic.count).elementsEqual(Self.magic) else { throw .notATopicIndex }
        let version = try reader.byte()
        guard version == Self.serializedVersion else { throw .unsupportedVersion(version) }
        self.init()
        lastOffset = try Self.readLastOffset(&reader)
        // Every topic takes at least 4 bytes and every offset 1: counts above that are lies.
        let topicCount = try reader.count(atMost: reader.remaining / 4, "topic count")
        let offsetCountPosition = reader.position
        let declaredOffsetCount = try reader.count(atMost: reader.remaining, "offset count")
        var previousName: IndexedTopic?
        for _ in 0..<topicCount {
            let name = try Self.readName(&reader, after: previousName)
            topics[name] = try readOffsets(&reader)
            previousName = name
        }
        guard reader.remaining == 0 else {
            throw .malformed(position: reader.position, detail: "\(reader.remaining) bytes after the last topic")
        }
        guard offsetCount == declaredOffsetCount else {
            throw .malformed(position: offsetCountPosition, detail: "offset count \(declaredOffsetCount), but the topics hold \(offsetCount)")
        }
        try checkNoOffsetIsShared()
    }

    /// The flag byte and, when it is 1, the last offset.
    private static func readLastOffset(_ reader: inout TopicIndexReader) throws(TopicIndexError) -> UInt64? {
        let flagPosition = reader.position
        switch try reader.byte() {
        case 0: return nil
        case 1: return try reader.uint64()
        case let flag: throw .malformed(position: flagPosition, detail: "last-offset flag \(flag) is neither 0 nor 1")
        }
    }

    /// A topic name, which must sort after `previous`.
    private static func readName(_ reader: inout TopicIndexReader, after previous: IndexedTopic?) throws(TopicIndexError) -> IndexedTopic {
        let start = reader.position
        let length = try reader.count(atMost: topicBytesMax, "topic name length")
        guard length > 0 else { throw .malformed(position: start, detail: "empty topic name") }
        guard let text = String(validating: try reader.bytes(length), as: UTF8.self) else {
            throw .malformed(position: start, detail: "topic name is not valid UTF-8")
        }
        if let previous, !previous.text.utf8.lexicographicallyPrecedes(text.utf8) {
            throw .malformed(position: start, detail: "topic names not in strictly increasing byte order")
        }
        return IndexedTopic(text: text)
    }

    /// One topic's offset count, first offset and deltas; adds the count to `offsetCount`.
    private mutating func readOffsets(_ reader: inout TopicIndexReader) throws(TopicIndexError) -> TopicOffsets {
        let countPosition = reader.position
        let count = try reader.count(atMost: reader.remaining, "topic offset count")
        guard count > 0 else { throw .malformed(position: countPosition, detail: "topic with no offsets") }
        guard let lastOffset else { throw .malformed(position: countPosition, detail: "topics present but no last offset") }
        var position = reader.position
        var offset = try reader.varint()
        var topic = TopicOffsets(first: offset)
        for _ in 1..<count {
            position = reader.position
            let delta = try reader.varint()
            guard delta > 0 else { throw .malformed(position: position, detail: "offsets not strictly increasing") }
            let (next, overflow) = offset.addingReportingOverflow(delta)
            guard !overflow else { throw .malformed(position: position, detail: "offset beyond 2^64 - 1") }
            offset = next
            topic.append(offset)
        }
        guard offset <= lastOffset else {
            throw .malformed(position: position, detail: "offset \(offset) above the last offset \(lastOffset)")
        }
        offsetCount += count
        return topic
    }

    /// Refuses an offset indexed under two topics: `offsets(from:limit:topicMatches:)` would
    /// return it twice.
    private func checkNoOffsetIsShared() throws(TopicIndexError) {
        if let shared = OffsetUniqueness.sharedOffset(in: topics.values, offsetCount: offsetCount) {
            throw .malformed(position: 0, detail: "offset \(shared) indexed under two topics")
        }
    }
}
