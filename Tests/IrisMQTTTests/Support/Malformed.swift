import IrisMQTT
import Testing

/// A hand-built malformed packet, the rule it breaks and the error the decoder must throw.
struct Malformed: Sendable, CustomTestStringConvertible {
    let rule: String
    let bytes: [UInt8]
    let error: MQTTError

    init(_ rule: String, _ bytes: [UInt8], _ error: MQTTError) {
        self.rule = rule
        self.bytes = bytes
        self.error = error
    }

    var testDescription: String { rule }

    /// The decoder throws exactly `error`, also when more (valid) bytes follow the packet.
    func check(_ decoder: MQTTDecoder = MQTTDecoder()) {
        #expect(throws: error, "\(rule): \(hex(bytes))") { try decoder.decode(bytes) }
        #expect(throws: error, "\(rule) followed by PINGREQ") { try decoder.decode(bytes + [0xC0, 0x00]) }
    }
}
