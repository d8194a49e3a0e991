import IrisLog
import IrisReplication

/// One slot of the hard-state file: a hard state and the sequence number of its write;
/// SPEC.md §11.1.
///
/// Slot (64 bytes, little-endian): u32 magic 0x53485249 ("IRHS"), u32 version 1,
/// u64 sequence (>= 1), u64 term, u64 votedFor (0 when none), u32 flags (bit 0: a vote is
/// recorded; other bits 0), 24 zero bytes, u32 CRC32C of bytes [0, 60).
struct HardStateSlot: Equatable {
    static let magic: UInt32 = 0x5348_5249
    static let flagsPosition = 32
    static let reserved = 36..<60
    static let hasVoteFlag: UInt32 = 1

    var sequence: UInt64
    var state: HardState

    /// Byte position of the slot this write goes to: `sequence mod 2` times 4096.
    var position: Int { Int(sequence % 2) * HardStateFile.slotStride }

    func encode() -> [UInt8] {
        precondition(sequence >= 1, "sequence 0 means no write")
        var bytes = [UInt8](repeating: 0, count: SlotCoding.recordSize)
        SlotCoding.store(HardStateSlot.magic, &bytes, at: 0)
        SlotCoding.store(UInt32(1), &bytes, at: 4)
        SlotCoding.store(sequence, &bytes, at: 8)
        SlotCoding.store(state.term.rawValue, &bytes, at: 16)
        SlotCoding.store(state.votedFor?.rawValue ?? 0, &bytes, at: 24)
        SlotCoding.store(state.votedFor == nil ? 0 : HardStateSlot.hasVoteFlag, &bytes, at: HardStateSlot.flagsPosition)
        SlotCoding.seal(&bytes)
        return bytes
    }

    /// The slot at `position` (0 or 4096) of a file's bytes, or why it is not valid.
    static func decode(_ file: [UInt8], at position: Int) -> Result<HardStateSlot, SlotDefect> {
        guard position + SlotCoding.recordSize <= file.count else {
            return .failure(SlotDefect(position: position, detail: "missing (the file has \(file.count) bytes)"))
        }
        let record = file[position..<position + SlotCoding.recordSize]
        if let defect = SlotCoding.defect(record, magic: magic, reserved: reserved) {
            return .failure(SlotDefect(position: position, detail: defect))
        }
        let sequence = SlotCoding.loadUInt64(record, at: 8)
        let votedFor = SlotCoding.loadUInt64(record, at: 24)
        let flags = SlotCoding.loadUInt32(record, at: flagsPosition)
        guard sequence >= 1, Int(sequence % 2) * HardStateFile.slotStride == position else {
            return .failure(SlotDefect(position: position, detail: "sequence \(sequence) does not belong in this slot"))
        }
        guard flags & ~hasVoteFlag == 0, flags == hasVoteFlag || votedFor == 0 else {
            return .failure(SlotDefect(position: position, detail: "unknown flags \(flags) or a vote without its flag"))
        }
        let state = HardState(
            term: Term(SlotCoding.loadUInt64(record, at: 16)),
            votedFor: flags == hasVoteFlag ? NodeID(votedFor) : nil)
        return .success(HardStateSlot(sequence: sequence, state: state))
    }
}

/// Why a slot is not valid, for the error that names the file.
struct SlotDefect: Error, Equatable {
    var position: Int
    var detail: String
    var description: String { "slot at \(position): \(detail)" }
}
