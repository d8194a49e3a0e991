/// The durable watermark: how far the log was known synced, written to one of two 64-byte
/// slots (at byte 0 and 4096) in turn so that a torn write leaves the other intact; SPEC.md §5.
///
/// Slot: u32 magic 0x50435249, u32 version 1, u64 sequence, u64 segment base offset,
/// u64 synced position in that segment, u64 next offset, u32 last CRC, u32 unsynced window
/// bytes, 12 zero bytes, u32 CRC32C of bytes [0, 60).
package struct Checkpoint: Sendable, Equatable {
    static let magic: UInt32 = 0x5043_5249
    package static let slotSize = 64
    package static let slotStride = 4096
    package static let fileSize = slotStride + slotSize

    package var sequence: UInt64
    package var segmentBase: Offset
    package var syncedPosition: Int
    package var nextOffset: Offset
    package var lastCRC: UInt32
    package var unsyncedWindowBytes: Int

    /// Byte position of the slot this checkpoint goes to.
    package var slotPosition: Int { Int(sequence % 2) * Checkpoint.slotStride }

    package func encode() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Checkpoint.slotSize)
        bytes.withUnsafeMutableBytes { buffer in
            ByteCoding.store(Checkpoint.magic, buffer, at: 0)
            ByteCoding.store(UInt32(1), buffer, at: 4)
            ByteCoding.store(sequence, buffer, at: 8)
            ByteCoding.store(segmentBase.rawValue, buffer, at: 16)
            ByteCoding.store(UInt64(syncedPosition), buffer, at: 24)
            ByteCoding.store(nextOffset.rawValue, buffer, at: 32)
            ByteCoding.store(lastCRC, buffer, at: 40)
            ByteCoding.store(UInt32(unsyncedWindowBytes), buffer, at: 44)
            ByteCoding.store(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<60])), buffer, at: 60)
        }
        return bytes
    }

    package static func decodeSlot(_ bytes: UnsafeRawBufferPointer) -> Checkpoint? {
        guard bytes.count >= slotSize,
              ByteCoding.loadUInt32(bytes, at: 0) == magic,
              ByteCoding.loadUInt32(bytes, at: 4) == 1,
              bytes[48..<60].allSatisfy({ $0 == 0 }),  // reserved: a later version's fields
              ByteCoding.loadUInt32(bytes, at: 60) == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<60])) else {
            return nil
        }
        let position = ByteCoding.loadUInt64(bytes, at: 24)
        guard position <= UInt64(UInt32.max) else { return nil }
        return Checkpoint(
            sequence: ByteCoding.loadUInt64(bytes, at: 8),
            segmentBase: Offset(ByteCoding.loadUInt64(bytes, at: 16)),
            syncedPosition: Int(position),
            nextOffset: Offset(ByteCoding.loadUInt64(bytes, at: 32)),
            lastCRC: ByteCoding.loadUInt32(bytes, at: 40),
            unsyncedWindowBytes: Int(ByteCoding.loadUInt32(bytes, at: 44)))
    }

    /// The newest valid slot of a checkpoint file's bytes, nil when neither slot is valid.
    package static func decode(file bytes: [UInt8]) -> Checkpoint? {
        bytes.withUnsafeBytes { buffer in
            let slots = [0, slotStride].compactMap { start -> Checkpoint? in
                guard start + slotSize <= buffer.count else { return nil }
                return decodeSlot(UnsafeRawBufferPointer(rebasing: buffer[start..<start + slotSize]))
            }
            return slots.max { $0.sequence < $1.sequence }
        }
    }

    /// Why this checkpoint cannot have been written by a writer of this log, nil when it can:
    /// its unsynced window is zero or larger than `windowBytesMax` (see `windowBytesMax(...)`).
    /// A forged or damaged window would let recovery cut acknowledged data as a torn tail.
    package func implausibility(windowBytesMax: Int) -> String? {
        guard unsyncedWindowBytes > 0, unsyncedWindowBytes <= windowBytesMax else {
            return "the checkpoint declares an unsynced window of \(unsyncedWindowBytes) bytes, outside 1...\(windowBytesMax); it is damaged or was not written by Iris (move it aside to open without it)"
        }
        return nil
    }

    /// The largest window a writer can record: `2 * max(writeGroupBytesMax, frameBytesMax)`,
    /// and unsynced data never spans more than one segment, so twice the larger of the
    /// segment size and the configured window.
    package static func windowBytesMax(segmentBytes: Int, configuredWindowBytes: Int) -> Int {
        2 * max(segmentBytes, configuredWindowBytes)
    }
}
