/// A topic name (or a whole filter) as a dictionary key, compared byte for byte: MQTT does not
/// normalise topics [MQTT-4.7.3-4], while `String` compares by Unicode canonical equivalence.
struct IndexedTopic: Hashable, Sendable {
    /// The topic.
    let text: String

    static func == (lhs: IndexedTopic, rhs: IndexedTopic) -> Bool {
        lhs.text.utf8.elementsEqual(rhs.text.utf8)
    }

    func hash(into hasher: inout Hasher) {
        var contiguous = text  // `withUTF8` is mutating: it would first copy a non-contiguous string
        contiguous.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Heap bytes of the name: none for a small string (at most 15 UTF-8 bytes are stored
    /// inline on 64-bit platforms), else a header, the bytes and a terminating zero.
    var estimatedHeapBytes: Int {
        let length = text.utf8.count
        return length <= 15 ? 0 : heapObjectHeaderBytes + length + 1
    }
}
