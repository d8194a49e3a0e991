/// Why bytes at a frame position are not a valid frame. Recovery decides from the defect
/// and its position whether it is a torn tail or corruption.
package enum FrameDefect: Error, Hashable, Sendable, CustomStringConvertible {
    /// Fewer bytes remain than the header or the declared length needs.
    case truncated(needed: Int, available: Int)
    /// The length field is below the header size or above the frame limit.
    case badLength(UInt32)
    /// The stored CRC does not match the bytes.
    case checksumMismatch(stored: UInt32, computed: UInt32)
    /// Magic, version or codec are not ones this build writes.
    case badHeader
    /// The frame is intact but out of sequence (offset or CRC chain broken).
    case outOfSequence(String)
    /// The payload does not decode into the declared records.
    case badRecord(index: Int, reason: String)
    /// The compressed payload does not decompress to the declared length.
    case badCompression(String)
    /// A zero length field is followed by non-zero bytes.
    case zeroLengthBeforeData

    package var description: String {
        switch self {
        case .truncated(let needed, let available): "frame truncated: needs \(needed) bytes, \(available) remain"
        case .badLength(let length): "invalid frame length \(length)"
        case .checksumMismatch(let stored, let computed):
            "CRC mismatch: stored 0x\(String(stored, radix: 16)), computed 0x\(String(computed, radix: 16))"
        case .badHeader: "unknown magic, version or codec"
        case .outOfSequence(let reason): "frame out of sequence: \(reason)"
        case .badRecord(let index, let reason): "record \(index) malformed: \(reason)"
        case .badCompression(let reason): "compressed payload invalid: \(reason)"
        case .zeroLengthBeforeData: "zero length field followed by non-zero bytes"
        }
    }
}
