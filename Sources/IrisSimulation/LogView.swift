import IrisLog
import IrisReplication

/// The `LogReader` a simulated replica's core reads through: the replica's IrisLog `Log`.
/// Read errors go to the core, which stops the replica (`Action.halt`).
struct LogView: LogReader {
    let log: Log

    var lastOffset: LogEnd { LogEnd(before: log.nextOffset) }

    func frame(holding offset: Offset) throws(LogError) -> SealedFrame {
        guard let frame = try log.readFrames(from: offset, maxBytes: 1).first else {
            throw .offsetOutOfRange(requested: offset, first: log.firstOffset, next: log.nextOffset)
        }
        return frame
    }

    func frames(from offset: Offset, bytesMax: Int) throws(LogError) -> [SealedFrame] {
        let frames = try log.readFrames(from: offset, maxBytes: bytesMax)
        var bytes = 0
        return Array(frames.prefix { frame in
            bytes += frame.bytes.count
            return bytes <= bytesMax
        })
    }
}
