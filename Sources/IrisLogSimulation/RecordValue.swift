/// Record bytes that identify their writer: a 4-byte tag (writer, sequence, kind) then
/// content derived from it, so any record found after recovery can be checked to be one the
/// simulation wrote, and which write it was.
enum RecordValue {
    static func make(writer: UInt8, sequence: Int, kind: UInt8, size: Int) -> [UInt8] {
        var state = UInt64(writer) << 32 | UInt64(sequence) << 8 | UInt64(kind)
        var bytes: [UInt8] = [writer, UInt8(truncatingIfNeeded: sequence >> 8), UInt8(truncatingIfNeeded: sequence), kind]
        bytes.reserveCapacity(size + 4)
        for _ in 0..<size {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes.append(UInt8(truncatingIfNeeded: state >> 33))
        }
        return bytes
    }

    static func isWritten(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4 else { return false }
        return make(writer: bytes[0], sequence: Int(bytes[1]) << 8 | Int(bytes[2]), kind: bytes[3], size: bytes.count - 4) == bytes
    }
}
