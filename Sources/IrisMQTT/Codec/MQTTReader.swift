/// Reads MQTT fields from one packet's body (what follows the fixed header). Every read checks
/// the bytes left first, so any input yields a typed error, never a trap, and no read reaches
/// past the packet.
struct MQTTReader {
    private let bytes: UnsafeRawBufferPointer
    /// The packet being read, named in every error.
    let type: MQTTPacketType
    private var position = 0

    init(_ bytes: UnsafeRawBufferPointer, type: MQTTPacketType) {
        self.bytes = bytes
        self.type = type
    }

    var isAtEnd: Bool { position == bytes.count }

    mutating func byte(_ field: String) throws(MQTTError) -> UInt8 {
        guard position < bytes.count else { throw .truncated(type: type, field: field) }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func uint16(_ field: String) throws(MQTTError) -> UInt16 {
        guard bytes.count - position >= 2 else { throw .truncated(type: type, field: field) }
        defer { position += 2 }
        return UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
    }

    /// A packet identifier, which is never 0 [MQTT-2.3.1-1].
    mutating func packetID() throws(MQTTError) -> UInt16 {
        let packetID = try uint16("packet identifier")
        if packetID == 0 { throw .zeroPacketID(type: type) }
        return packetID
    }

    /// A 2-byte big-endian length, then that many bytes (MQTT 3.1.1 §1.5.3).
    mutating func prefixed(_ field: String) throws(MQTTError) -> UnsafeRawBufferPointer {
        guard bytes.count - position >= 2 else { throw .truncated(type: type, field: "\(field) length") }
        let count = Int(UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1]))
        guard bytes.count - position - 2 >= count else { throw .truncated(type: type, field: field) }
        defer { position += 2 + count }
        return UnsafeRawBufferPointer(rebasing: bytes[position + 2..<position + 2 + count])
    }

    /// Length-prefixed binary data (will message, password).
    mutating func binary(_ field: String) throws(MQTTError) -> [UInt8] {
        Array(try prefixed(field))
    }

    /// A length-prefixed UTF-8 string: well-formed, without U+0000 [MQTT-1.5.3-1/-2].
    mutating func string(_ field: String) throws(MQTTError) -> String {
        let raw = try prefixed(field)
        let text = raw.withMemoryRebound(to: UInt8.self) { String(validating: $0, as: UTF8.self) }
        guard let text else { throw .invalidUTF8(type: type, field: field) }
        if raw.contains(0) { throw .nullCharacter(type: type, field: field) }
        return text
    }

    mutating func topicName(_ field: String) throws(MQTTError) -> TopicName {
        try TopicName(validating: try string(field))
    }

    mutating func topicFilter(_ field: String) throws(MQTTError) -> TopicFilter {
        try TopicFilter(validating: try string(field))
    }

    /// Everything left (a PUBLISH payload).
    mutating func rest() -> [UInt8] {
        defer { position = bytes.count }
        return Array(UnsafeRawBufferPointer(rebasing: bytes[position...]))
    }

    /// Throws if bytes are left after the last field.
    func finish() throws(MQTTError) {
        if position < bytes.count { throw .trailingBytes(type: type, count: bytes.count - position) }
    }
}
