import IrisLog
import IrisReplication

/// A replica's durable hard state (term and vote): a 4,160-byte file with two 64-byte slots
/// at 0 and 4096, written in turn and fsynced, so that a torn write leaves the other slot
/// intact; SPEC.md §11.1.
///
/// `save` returns once the state is durable: only then may the replica send anything that
/// depends on it (SPEC.md §9.4). The newest valid slot is the state. A missing file is a new
/// replica's state; the file is first created whole under a temporary name and renamed, so a
/// crash during creation leaves no file rather than a damaged one. Not thread-safe: one
/// replica driver owns it.
package final class HardStateFile {
    /// Byte distance between the two slots.
    package static let slotStride = 4096
    /// Size of the file: the second slot's end.
    package static let fileSize = slotStride + SlotCoding.recordSize

    /// The file's path.
    package let path: String
    /// The state last loaded or saved (durable).
    package private(set) var state: HardState
    /// Sequence number of the newest write; 0 while the file does not exist.
    package private(set) var sequence: UInt64

    private let storage: any Storage
    private var file: (any StorageFile)?
    private var failure: StorageError?

    /// Loads the hard state at `path`: the newest valid slot, or the initial state (term 0,
    /// no vote) when the file does not exist.
    ///
    /// - Throws: `HardStateFileError.damaged` naming the file when it exists but has no
    ///   valid slot (an empty file included); `.io` when a storage call fails.
    package init(path: String, storage: any Storage) throws(HardStateFileError) {
        self.path = path
        self.storage = storage
        let opened: (any StorageFile)?
        let bytes: [UInt8]
        do throws(StorageError) {
            opened = try storage.openExisting(path)
            bytes = try opened?.read(count: HardStateFile.fileSize, at: 0) ?? []
        } catch {
            throw .io(error)
        }
        file = opened
        guard opened != nil else {
            state = HardState()
            sequence = 0
            return
        }
        let newest = try HardStateFile.newestSlot(bytes, path: path)
        state = newest.state
        sequence = newest.sequence
    }

    /// The valid slot with the highest sequence, or the damage that leaves none.
    static func newestSlot(_ bytes: [UInt8], path: String) throws(HardStateFileError) -> HardStateSlot {
        guard !bytes.isEmpty else { throw .damaged(path: path, detail: "the file is empty") }
        let slots = [0, slotStride].map { HardStateSlot.decode(bytes, at: $0) }
        let valid = slots.compactMap { try? $0.get() }
        guard let newest = valid.max(by: { $0.sequence < $1.sequence }) else {
            let defects = slots.compactMap { result -> String? in
                if case .failure(let defect) = result { return defect.description }
                return nil
            }
            throw .damaged(path: path, detail: defects.joined(separator: "; "))
        }
        return newest
    }

    /// Makes `newState` the durable hard state: writes it to the next slot and fsyncs (the
    /// first save creates the file whole and syncs its directory). Returns once durable.
    ///
    /// - Precondition: the term never decreases, and within a term a recorded vote never
    ///   changes (Raft's one vote per term; a violation is a bug in the caller).
    /// - Throws: `HardStateFileError.io`; after one failure every later save throws it too.
    package func save(_ newState: HardState) throws(HardStateFileError) {
        precondition(newState.term >= state.term, "hard state \(newState) would lower the term of \(state)")
        precondition(newState.term > state.term || state.votedFor == nil || newState.votedFor == state.votedFor,
                     "hard state \(newState) would change the vote of \(state)")
        if let failure { throw .io(failure) }
        let slot = HardStateSlot(sequence: sequence + 1, state: newState)
        do throws(StorageError) {
            if let file {
                try file.write(slot.encode(), at: slot.position)
                try file.sync()
            } else {
                var image = [UInt8](repeating: 0, count: HardStateFile.fileSize)
                image.replaceSubrange(slot.position..<slot.position + SlotCoding.recordSize, with: slot.encode())
                try storage.replaceFile(path, with: image)
                file = try storage.openExisting(path)
                precondition(file != nil, "the file was just created")
            }
        } catch {
            failure = error
            throw .io(error)
        }
        state = newState
        sequence = slot.sequence
    }
}
