import IrisLog
import IrisReplication
import Synchronization

/// The `LogReader` a simulated replica's core reads through: the replica's IrisLog `Log`.
/// A read error is recorded (the simulation reports it as a violation after the step) and
/// reads as an empty result, since the core's reader cannot fail.
struct LogView: LogReader {
    let log: Log
    let readErrors: ReadErrors

    var lastOffset: Offset { log.nextOffset }

    func frame(holding offset: Offset) -> SealedFrame? {
        read { () throws(LogError) in try log.readFrames(from: offset, maxBytes: 1) }.first
    }

    func frames(from offset: Offset, bytesMax: Int) -> [SealedFrame] {
        let frames = read { () throws(LogError) in try log.readFrames(from: offset, maxBytes: bytesMax) }
        var bytes = 0
        return Array(frames.prefix { frame in
            bytes += frame.bytes.count
            return bytes <= bytesMax
        })
    }

    private func read(_ body: () throws(LogError) -> [SealedFrame]) -> [SealedFrame] {
        do {
            return try body()
        } catch {
            readErrors.record(error)
            return []
        }
    }
}

/// Read errors seen by `LogView`s, checked by the simulation after every step.
final class ReadErrors: Sendable {
    private let errors = Mutex<[LogError]>([])

    func record(_ error: LogError) { errors.withLock { $0.append(error) } }

    /// Returns and forgets the recorded errors.
    func take() -> [LogError] { errors.withLock { errors in defer { errors.removeAll() }; return errors } }
}
