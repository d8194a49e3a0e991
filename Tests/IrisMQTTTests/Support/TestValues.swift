import IrisMQTT

/// A topic name the test knows to be valid.
func name(_ value: String) -> TopicName {
    do { return try TopicName(validating: value) } catch { preconditionFailure("test topic \(value): \(error)") }
}

/// A topic filter the test knows to be valid.
func filter(_ value: String) -> TopicFilter {
    do { return try TopicFilter(validating: value) } catch { preconditionFailure("test filter \(value): \(error)") }
}

/// Bytes from a hex string ("30 0a ..." or "300a..."); the test's own literals only.
func bytes(hex: String) -> [UInt8] {
    let digits = Array(hex.filter { !$0.isWhitespace })
    precondition(digits.count % 2 == 0, "odd hex literal")
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

/// Lower-case hex of `bytes`, for failure messages.
func hex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

/// An independent (test-side) encoder of MQTT framing, for hand-built malformed packets.
enum Wire {
    /// First byte, remaining length (variable-length, minimal), body.
    static func packet(_ first: UInt8, _ body: [UInt8]) -> [UInt8] {
        var length: [UInt8] = []
        var value = body.count
        repeat {
            length.append(UInt8(value % 128) | (value >= 128 ? 0x80 : 0))
            value /= 128
        } while value > 0
        return [first] + length + body
    }

    /// A 2-byte big-endian length, then the bytes.
    static func prefixed(_ bytes: [UInt8]) -> [UInt8] {
        [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
    }

    /// A UTF-8 string with its 2-byte length.
    static func string(_ text: String) -> [UInt8] { prefixed(Array(text.utf8)) }

    static func uint16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

    /// A CONNECT: protocol name and level, flags, keep-alive 60, then `payload` as given.
    static func connect(name: String = "MQTT", level: UInt8 = 4, flags: UInt8, payload: [UInt8]) -> [UInt8] {
        packet(0x10, string(name) + [level, flags] + uint16(60) + payload)
    }
}

/// SplitMix64: a small seeded generator so random tests replay from the seed they print.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
