/// Output bytes gathered in one growable buffer and written to stdout in large chunks, so a
/// dump costs one `write` per megabyte rather than one per record. Writers reserve room for
/// the most a field can take and write through the returned pointer (no per-byte checks).
///
/// A full buffer (`flushIfFull`) goes to a `StdoutWriter` thread, and gathering goes on in a
/// second buffer meanwhile: the two swap at each hand-over, so formatting and writing overlap.
/// `flush` waits for that thread and writes the rest itself: when it returns, all is written.
final class OutputBuffer {
    /// `flushIfFull` hands the buffer to the writer thread once it holds this many bytes.
    static let flushBytes = 1 << 20

    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// The bytes gathered so far.
    private(set) var count = 0
    /// The buffer last handed to `writer`, gathered into again at the next hand-over; nil
    /// before the first.
    private var handedOver: (base: UnsafeMutablePointer<UInt8>, capacity: Int)? = nil
    /// The writer thread, started by the first hand-over.
    private var writer: StdoutWriter? = nil
    /// Whether `writer` may still be writing `handedOver` (not waited for yet).
    private var writing = false

    init(capacity: Int = OutputBuffer.flushBytes * 2) {
        self.capacity = Swift.max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit {
        if let writer {
            // Left early (an error was thrown): the thread must be done with the bytes before they go.
            if writing { _ = writer.wait() }
            writer.end()
        }
        base.deallocate()
        handedOver?.base.deallocate()
    }

    /// The bytes gathered so far, valid until the buffer next changes.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// A pointer to room for at least `extra` more bytes after the gathered ones; the
    /// writer then calls `advance` with what it wrote.
    @inline(__always)
    func reserve(_ extra: Int) -> UnsafeMutablePointer<UInt8> {
        if count + extra > capacity { grow(to: count + extra) }
        return base + count
    }

    /// Counts `written` bytes written at `reserve`'s pointer.
    @inline(__always)
    func advance(_ written: Int) {
        precondition(count + written <= capacity, "wrote past the reserved room")
        count += written
    }

    /// Drops everything after the first `length` bytes (a field that turned out not to apply).
    func truncate(to length: Int) {
        precondition(length <= count)
        count = length
    }

    @inline(__always)
    func append(_ byte: UInt8) {
        reserve(1).pointee = byte
        count += 1
    }

    func append(_ source: UnsafeRawBufferPointer) {
        guard let start = source.baseAddress, !source.isEmpty else { return }
        reserve(source.count).update(from: start.assumingMemoryBound(to: UInt8.self), count: source.count)
        count += source.count
    }

    func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    func append(_ text: String) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// Once the gathered bytes reach `flushBytes`, hands them to the writer thread and goes on
    /// gathering in the other buffer. Throws (as `Output.out`) when the previous hand-over's
    /// write failed.
    @inline(__always)
    func flushIfFull() throws(ToolFailure) {
        if count >= Self.flushBytes { try handOver() }
    }

    /// Writes everything gathered to stdout (see `Output.out`), after what the writer thread
    /// holds, and empties the buffer: when it returns, all is written.
    func flush() throws(ToolFailure) {
        try waitForWriter()
        guard count > 0 else { return }
        try Output.out(bytes)
        count = 0
    }

    /// Gives the gathered bytes to the writer thread, once it is done with the previous ones,
    /// and continues in the buffer it wrote those from.
    private func handOver() throws(ToolFailure) {
        try waitForWriter()
        let writer = self.writer ?? StdoutWriter()
        self.writer = writer
        writer.write(bytes)
        writing = true
        let gathered = (base: base, capacity: capacity)
        (base, capacity) = handedOver ?? (.allocate(capacity: capacity), capacity)
        handedOver = gathered
        count = 0
    }

    /// Waits until the writer thread wrote what it was given; throws when that failed.
    private func waitForWriter() throws(ToolFailure) {
        guard writing, let writer else { return }
        writing = false
        if let error = writer.wait() { throw Output.stdoutFailure(error) }
    }

    private func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }
}
