import NIOCore

/// The first 16 bytes of every benchmark payload: the publisher's sequence number and its send time (monotonic
/// nanoseconds, one clock for every client of the process), little-endian, then zero padding to the chosen size.
enum BenchPayload {
    /// Smallest payload that carries the header.
    static let headerBytes = 16

    /// A payload of `size` bytes carrying `sequence` and `sentNanoseconds`.
    static func make(sequence: UInt64, sentNanoseconds: UInt64, size: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(size, headerBytes))
        withUnsafeBytes(of: sequence.littleEndian) { bytes.replaceSubrange(0..<8, with: $0) }
        withUnsafeBytes(of: sentNanoseconds.littleEndian) { bytes.replaceSubrange(8..<16, with: $0) }
        return bytes
    }

    /// The sequence number and send time of `payload`, or nil when it is too short to be ours.
    static func parse(_ payload: [UInt8]) -> (sequence: UInt64, sentNanoseconds: UInt64)? {
        guard payload.count >= headerBytes else { return nil }
        var sequence: UInt64 = 0
        var sent: UInt64 = 0
        for index in 0..<8 {
            sequence |= UInt64(payload[index]) << UInt64(8 * index)
            sent |= UInt64(payload[8 + index]) << UInt64(8 * index)
        }
        return (sequence, sent)
    }

    /// Now, on the clock payloads carry.
    static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }
}
