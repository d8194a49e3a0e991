/// Output bytes gathered in one growable buffer and written to stdout in large chunks, so a
/// dump costs one `write` per megabyte rather than one per record. Writers reserve room for
/// the most a field can take and write through the returned pointer (no per-byte checks).
final class OutputBuffer {
    /// `flushIfFull` writes the buffer out once it holds this many bytes.
    static let flushBytes = 1 << 20

    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// The bytes gathered so far.
    private(set) var count = 0

    init(capacity: Int = OutputBuffer.flushBytes * 2) {
        self.capacity = Swift.max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

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

    /// Writes the gathered bytes to stdout once they reach `flushBytes`.
    @inline(__always)
    func flushIfFull() throws(ToolFailure) {
        if count >= Self.flushBytes { try flush() }
    }

    /// Writes the gathered bytes to stdout (see `Output.out`) and empties the buffer.
    func flush() throws(ToolFailure) {
        guard count > 0 else { return }
        try Output.out(bytes)
        count = 0
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
