import IrisLog
import IrisNode

/// A replica's log as its driver writes it, keeping what it writes in `RecentFrames`: the
/// frames the core asks for again (a term to check, frames to replicate) are answered from
/// memory when still kept, and every truncation drops the kept frames it removes first.
struct CachingReplicaLog: ReplicaLog {
    /// The log underneath.
    let view: LogReplicaView
    /// The frames written most recently.
    let recent: RecentFrames

    var lastOffset: LogEnd { view.lastOffset }

    func frame(holding offset: Offset) throws(LogError) -> SealedFrame {
        if let frame = recent.frame(holding: offset) { return frame }
        return try view.frame(holding: offset)
    }

    func frames(from offset: Offset, bytesMax: Int) throws(LogError) -> [SealedFrame] {
        // From memory only when the frames kept reach the log's end: the answer then is the same.
        if let range = recent.range, range.upperBound.rawValue == view.lastOffset.rawValue,
            let frames = recent.frames(from: offset, bytesMax: bytesMax) {
            return frames
        }
        return try view.frames(from: offset, bytesMax: bytesMax)
    }

    func append(frames: [SealedFrame]) async throws(LogError) {
        do {
            try await view.append(frames: frames)
        } catch {
            recent.clear()
            throw error
        }
        recent.appended(frames)
    }

    func truncate(from offset: Offset) async throws(LogError) {
        recent.truncating(from: offset)
        try await view.truncate(from: offset)
    }
}
