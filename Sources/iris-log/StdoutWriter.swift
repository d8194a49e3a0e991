import Dispatch
import Foundation
import Synchronization

/// A thread that writes chunks of bytes to stdout, one at a time and in order, while its caller
/// gathers the next chunk: `dump` into a file spends about as long in `write` (the kernel copying
/// into the page cache) as in formatting, and on two cores the two overlap. `OutputBuffer`
/// hands it its full buffers.
///
/// One caller at a time: `write` a chunk, `wait` for it, then the next; `end` when done.
final class StdoutWriter: Sendable {
    /// Bytes handed to the thread; the caller leaves them alone from `write` until `wait` returns.
    private struct Chunk: @unchecked Sendable {
        let bytes: UnsafeRawBufferPointer
    }

    /// The chunk to write next, or nil to end the thread; set before `handedOver` is signalled.
    private let next = Mutex<Chunk?>(nil)
    /// The errno of the last chunk's failed write, read by `wait`.
    private let failure = Mutex<Int32?>(nil)
    /// Signalled by the caller when `next` is set.
    private let handedOver = DispatchSemaphore(value: 0)
    /// Signalled by the thread when it is done with a chunk.
    private let done = DispatchSemaphore(value: 0)

    /// Starts the thread (named `iris-log stdout`, as `top -H` shows it).
    init() {
        let thread = Thread { [self] in run() }
        thread.name = "iris-log stdout"
        thread.start()
    }

    /// Starts writing `bytes` on the thread; they must stay valid and unchanged until `wait` returns.
    func write(_ bytes: UnsafeRawBufferPointer) {
        next.withLock { $0 = Chunk(bytes: bytes) }
        handedOver.signal()
    }

    /// Waits until the chunk given to `write` is written; returns the errno when that failed.
    func wait() -> Int32? {
        done.wait()
        return failure.withLock { $0 }
    }

    /// Ends the thread; call when no chunk is being written (after `wait`).
    func end() {
        next.withLock { $0 = nil }
        handedOver.signal()
    }

    private func run() {
        while true {
            handedOver.wait()
            guard let chunk = next.withLock({ $0 }) else { return }
            let error: Int32? = Output.writeAll(1, chunk.bytes) ? nil : errno
            failure.withLock { $0 = error }
            done.signal()
        }
    }
}
