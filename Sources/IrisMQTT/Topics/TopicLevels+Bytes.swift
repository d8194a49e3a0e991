extension TopicLevels {
    /// Byte-wise equality: topics are never normalised [MQTT-4.7.3-4], while `String`'s own
    /// `==` treats canonically equivalent strings ("é" and "e" + U+0301) as equal.
    static func sameBytes(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.count == rhs.utf8.count && lhs.utf8.elementsEqual(rhs.utf8)
    }

    /// Hashes the UTF-8 bytes, consistent with `sameBytes`.
    static func hashBytes(_ text: String, into hasher: inout Hasher) {
        hasher.combine(text.utf8.count)
        let hashed: Void? = text.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if hashed == nil {
            for byte in text.utf8 { hasher.combine(byte) }
        }
    }
}

extension TopicName {
    /// Equal when the UTF-8 bytes are equal (never normalised [MQTT-4.7.3-4]).
    public static func == (lhs: TopicName, rhs: TopicName) -> Bool { TopicLevels.sameBytes(lhs.value, rhs.value) }

    /// Hashes the UTF-8 bytes.
    public func hash(into hasher: inout Hasher) { TopicLevels.hashBytes(value, into: &hasher) }
}

extension TopicFilter {
    /// Equal when the UTF-8 bytes are equal (never normalised [MQTT-4.7.3-4]).
    public static func == (lhs: TopicFilter, rhs: TopicFilter) -> Bool { TopicLevels.sameBytes(lhs.value, rhs.value) }

    /// Hashes the UTF-8 bytes.
    public func hash(into hasher: inout Hasher) { TopicLevels.hashBytes(value, into: &hasher) }
}
