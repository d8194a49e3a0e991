/// One level of a topic name or filter (the text between two `/`), compared byte for byte.
///
/// MQTT compares topics without Unicode normalisation [MQTT-4.7.3-4]: "é" written as one code
/// point and as "e" plus a combining accent are different topics. Swift's `String` and
/// `Substring` compare by canonical equivalence, so they cannot be dictionary keys here.
struct TopicLevel: Hashable, Sendable {
    /// The level's text.
    let text: Substring

    /// Wraps a slice of a topic or filter (for a lookup; the slice keeps its string alive).
    init(_ text: Substring) {
        self.text = text
    }

    /// A copy of `text` that does not keep the filter it was cut from alive (for a stored key).
    static func owned(_ text: Substring) -> TopicLevel {
        TopicLevel(Substring(String(text)))
    }

    /// Splits a topic name or filter into its levels; empty levels are levels ("a//b" has three).
    /// Splits on the byte `/` (never part of a multi-byte UTF-8 sequence), not on characters.
    /// One pass over the bytes (a mass disconnect matches every will's topic in every shard).
    static func levels(of topic: String) -> [TopicLevel] {
        let utf8 = topic.utf8
        var levels: [TopicLevel] = []
        var start = utf8.startIndex
        var index = start
        while index != utf8.endIndex {
            if utf8[index] == slashByte {
                levels.append(TopicLevel(topic[start..<index]))
                start = utf8.index(after: index)
            }
            utf8.formIndex(after: &index)
        }
        levels.append(TopicLevel(topic[start..<utf8.endIndex]))
        return levels
    }

    /// True for the single-level wildcard `+`.
    var isSingleLevelWildcard: Bool { text.utf8.count == 1 && text.utf8.first == plusByte }

    /// True for the multi-level wildcard `#`.
    var isMultiLevelWildcard: Bool { text.utf8.count == 1 && text.utf8.first == hashByte }

    static func == (lhs: TopicLevel, rhs: TopicLevel) -> Bool {
        lhs.text.utf8.elementsEqual(rhs.text.utf8)
    }

    func hash(into hasher: inout Hasher) {
        var contiguous = text  // `withUTF8` is mutating: it would first copy a non-contiguous string
        contiguous.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

private let slashByte = UInt8(ascii: "/")
private let plusByte = UInt8(ascii: "+")
private let hashByte = UInt8(ascii: "#")
