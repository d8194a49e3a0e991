import CIrisSystem
import IrisLog

/// libFuzzer target: `Checkpoint.decode(file:)` on an arbitrary checkpoint file (SPEC.md §5).
///
/// Each input is tried as is and with both slot CRCs recomputed (so mutations reach the
/// checks behind them). Invariants on success: the result is the valid slot with the
/// highest sequence, its synced position fits in 32 bits, and encoding it gives back the
/// slot byte for byte (when the reserved bytes are zero, as the spec requires).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = [UInt8](UnsafeRawBufferPointer(start: data, count: size))
    checkCheckpoint(raw)
    var fixed = raw
    fixed.withUnsafeMutableBytes { bytes in
        for slot in [0, Checkpoint.slotStride] where slot + Checkpoint.slotSize <= bytes.count {
            let crc = iris_crc32c(0, bytes.baseAddress! + slot, 60)
            bytes.storeBytes(of: crc.littleEndian, toByteOffset: slot + 60, as: UInt32.self)
        }
    }
    if fixed != raw { checkCheckpoint(fixed) }
    return 0
}

private func checkCheckpoint(_ bytes: [UInt8]) {
    let result = Checkpoint.decode(file: bytes)
    var slots: [(start: Int, checkpoint: Checkpoint)] = []
    for start in [0, Checkpoint.slotStride] where start + Checkpoint.slotSize <= bytes.count {
        let slot = bytes.withUnsafeBytes { Checkpoint.decodeSlot(UnsafeRawBufferPointer(rebasing: $0[start..<start + Checkpoint.slotSize])) }
        if let slot { slots.append((start, slot)) }
    }
    guard let result else {
        precondition(slots.isEmpty, "decode found no checkpoint but a slot is valid")
        return
    }
    precondition(slots.contains { $0.checkpoint == result }, "decode returned a checkpoint no slot holds")
    precondition(slots.allSatisfy { $0.checkpoint.sequence <= result.sequence }, "decode did not take the newest slot")
    for (start, checkpoint) in slots {
        precondition(checkpoint.syncedPosition >= 0 && checkpoint.syncedPosition <= Int(UInt32.max))
        let encoded = checkpoint.encode()
        precondition(encoded.count == Checkpoint.slotSize)
        let decoded = encoded.withUnsafeBytes { Checkpoint.decodeSlot($0) }
        precondition(decoded == checkpoint, "an encoded checkpoint does not decode to itself")
        if bytes[start + 48..<start + 60].allSatisfy({ $0 == 0 }) {
            precondition(encoded[...] == bytes[start..<start + Checkpoint.slotSize], "re-encoded slot differs from the file")
        }
    }
}
