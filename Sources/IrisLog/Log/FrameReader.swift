/// What readers of frames share: the lengths a frame head may claim and the error a damaged
/// frame becomes. Frames are read through a `FrameWindow`, and every frame's CRC is checked
/// (by `FrameChain.check`, the one per-frame check of every walker) before any of its records
/// is returned: a damaged frame is an error, never data.
package enum FrameReader {
    /// The lengths a frame head may claim: a header at least, at most the largest frame.
    package static let plausibleLengths = FrameHeader.size...FrameHeader.lengthMax

    /// The length field of a frame head, 0 when `head` is too short to hold one.
    package static func claimedLength(ofHead head: [UInt8]) -> Int {
        head.count >= 4 ? head.withUnsafeBytes { Int(ByteCoding.loadUInt32($0, at: 0)) } : 0
    }

    static func corrupt(_ entry: SegmentEntry, _ position: Int, _ defect: FrameDefect) -> LogError {
        .corruptFrame(segment: entry.handle.name, position: position, reason: defect.description)
    }
}
