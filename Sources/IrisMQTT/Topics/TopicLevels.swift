/// Walks the levels of a topic or filter ('/'-separated, empty levels included: "/a/" has the
/// three levels "", "a", "") without allocating.
struct TopicLevels: IteratorProtocol {
    static let separator = UInt8(ascii: "/")
    static let singleLevelWildcard = UInt8(ascii: "+")
    static let multiLevelWildcard = UInt8(ascii: "#")
    static let systemPrefix = UInt8(ascii: "$")
    /// Topic names and filters are UTF-8 strings with a 2-byte length [MQTT-4.7.3-3].
    static let byteCountMax = Int(UInt16.max)

    private let bytes: String.UTF8View
    /// Where the next level starts; nil once the last level was returned.
    private var start: String.UTF8View.Index?

    init(_ text: String) {
        bytes = text.utf8
        start = bytes.startIndex
    }

    mutating func next() -> Substring.UTF8View? {
        guard let levelStart = start else { return nil }
        if let slash = bytes[levelStart...].firstIndex(of: Self.separator) {
            start = bytes.index(after: slash)
            return bytes[levelStart..<slash]
        }
        start = nil
        return bytes[levelStart...]
    }
}

extension Substring.UTF8View {
    /// Whether this level is exactly the one byte `byte`.
    func isOnly(_ byte: UInt8) -> Bool { count == 1 && first == byte }
}
