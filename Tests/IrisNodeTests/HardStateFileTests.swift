import IrisLog
import IrisReplication
import Testing
@testable import IrisNode

/// SPEC.md §11.1: the hard-state file keeps the last completed save through any crash, is
/// never a mix of two saves, and reports damage as a typed error naming the file.
struct HardStateFileTests {
    static let path = "/data/hard-state"
    /// Distinct states a replica may save in turn (terms never decrease, one vote per term).
    static let states: [HardState] = [
        HardState(term: Term(1)), HardState(term: Term(1), votedFor: NodeID(3)), HardState(term: Term(2), votedFor: NodeID(0)),
        HardState(term: Term(7)), HardState(term: Term(7), votedFor: NodeID(.max)), HardState(term: Term(1 << 40), votedFor: NodeID(2)),
    ]

    @Test func aMissingFileIsTheInitialState() throws {
        let file = try HardStateFile(path: Self.path, storage: SimulatedStorage(disk: diskWithDataDirectory()))
        #expect(file.state == HardState())
        #expect(file.sequence == 0)
    }

    @Test func savesSurviveReopeningAndPowerLoss() throws {
        for seed in UInt64(0)..<16 {
            let disk = diskWithDataDirectory()
            for (count, state) in Self.states.enumerated() {
                let file = try HardStateFile(path: Self.path, storage: SimulatedStorage(disk: disk))
                #expect(file.state == (count == 0 ? HardState() : Self.states[count - 1]))
                #expect(file.sequence == UInt64(count))
                try file.save(state)
                #expect(file.state == state && file.sequence == UInt64(count + 1))
                disk.powerLoss(seed: seed &* 31 &+ UInt64(count))
            }
            #expect(try HardStateFile(path: Self.path, storage: SimulatedStorage(disk: disk)).state == Self.states.last)
            #expect(disk.contents(of: Self.path)?.count == HardStateFile.fileSize)
        }
    }

    /// A power cut after every storage call of a run of saves (each call counted, for 8 seeds
    /// choosing what of the unsynced state survives): the file then loads as the last state
    /// whose save returned or the one being saved, never anything else, and takes new saves.
    @Test func powerLossAfterAnyCallKeepsTheLastCompletedSaveAndNeverMixes() throws {
        var outcomes: Set<String> = []
        var calls = 1
        while true {
            var struckEveryTime = true
            for seed in UInt64(0)..<8 {
                let disk = diskWithDataDirectory()
                disk.powerLoss(afterCalls: calls, seed: seed)
                var completed = 0  // states[0 ..< completed] were saved; index 0 of `all` is the initial state
                do throws(HardStateFileError) {
                    let file = try HardStateFile(path: Self.path, storage: SimulatedStorage(disk: disk))
                    for state in Self.states {
                        try file.save(state)
                        completed += 1
                    }
                } catch {
                    guard case .io(let storageError) = error else { Issue.record("\(error)"); continue }
                    #expect(storageError.errno == 5, "only the power loss fails calls here")
                }
                if disk.powerLossCount == 0 {
                    struckEveryTime = false
                    disk.cancelScheduledPowerLoss()
                    disk.powerLoss(seed: seed)
                }
                let all = [HardState()] + Self.states
                let reopened = try HardStateFile(path: Self.path, storage: SimulatedStorage(disk: disk))
                let index = all.firstIndex(of: reopened.state)
                #expect(index == completed || index == completed + 1, "calls \(calls) seed \(seed): \(reopened.state) after \(completed) saves")
                outcomes.insert(index == completed ? "old" : "new")
                // The survivor takes further saves, which survive a crash too.
                let next = HardState(term: Term(1 << 41), votedFor: NodeID(9))
                try reopened.save(next)
                disk.powerLoss(seed: seed)
                #expect(try HardStateFile(path: Self.path, storage: SimulatedStorage(disk: disk)).state == next)
            }
            if !struckEveryTime { break }
            calls += 1
        }
        #expect(calls == 5 + 2 * (Self.states.count - 1) + 1, "first save: create, write, sync, rename, directory sync; then write and sync")
        #expect(outcomes == ["old", "new"])
    }

    /// A torn or damaged newest slot leaves the previous save.
    @Test func aDamagedNewestSlotFallsBackToThePreviousSave() throws {
        for bit in [0, 8 * 17 + 3, 8 * 63 + 7] {
            let disk = diskWithDataDirectory()
            let file = try HardStateFile(path: Self.path, storage: SimulatedStorage(disk: disk))
            try file.save(Self.states[0])  // sequence 1: slot at 4096
            try file.save(Self.states[1])  // sequence 2: slot at 0
            disk.flipBit(path: Self.path, position: bit / 8, bit: bit % 8)
            let reopened = try HardStateFile(path: Self.path, storage: SimulatedStorage(disk: disk))
            #expect(reopened.state == Self.states[0] && reopened.sequence == 1)
            try reopened.save(Self.states[2])  // sequence 2 again, over the damaged slot
            #expect(try HardStateFile(path: Self.path, storage: SimulatedStorage(disk: disk)).state == Self.states[2])
        }
    }

    @Test func aFileWithoutAValidSlotIsATypedErrorNamingIt() throws {
        let damaged: [[UInt8]] = [[], [UInt8](repeating: 0, count: HardStateFile.fileSize), [1, 2, 3],
                                  [UInt8](repeating: 0xFF, count: 5000)]
        for bytes in damaged {
            let disk = diskWithDataDirectory()
            disk.setContents(of: Self.path, to: bytes)
            let error = #expect(throws: HardStateFileError.self) {
                try HardStateFile(path: Self.path, storage: SimulatedStorage(disk: disk))
            }
            guard case .damaged(let path, _)? = error else { Issue.record("\(String(describing: error))"); continue }
            #expect(path == Self.path)
            #expect(error!.description.contains(Self.path))
        }
    }

    /// Random files, and valid files with random bytes changed, never trap: they load one of
    /// the states written or are reported damaged.
    @Test func randomBytesNeverTrap() throws {
        var generator = SplitMix64(seed: 42)
        let valid = try {
            let disk = diskWithDataDirectory()
            let file = try HardStateFile(path: Self.path, storage: SimulatedStorage(disk: disk))
            try file.save(Self.states[3])
            try file.save(Self.states[4])
            return disk.contents(of: Self.path)!
        }()
        var loaded = 0, refused = 0
        for round in 0..<3_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0...4_200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                if round % 4 == 0, bytes.count >= 64 {  // a plausible header, so decoding goes past the magic
                    bytes.replaceSubrange(0..<8, with: [0x49, 0x52, 0x48, 0x53, 1, 0, 0, 0])
                }
            } else {
                bytes = valid
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    let position = [Int.random(in: 0..<64, using: &generator), Int.random(in: 4096..<4160, using: &generator)].randomElement(using: &generator)!
                    bytes[position] ^= UInt8.random(in: 1...255, using: &generator)
                }
            }
            let decoded = Result { () throws(HardStateFileError) in try HardStateFile.newestSlot(bytes, path: Self.path) }
            switch decoded {
            case .success(let slot):
                loaded += 1
                if round % 2 == 1 { #expect(slot.state == Self.states[3] || slot.state == Self.states[4]) }
            case .failure(let error):
                refused += 1
                guard case .damaged = error else { Issue.record("\(error)"); continue }
            }
        }
        #expect(loaded > 0 && refused > 0)
    }

    /// A failed fsync fails the file for good (fail-stop, SPEC.md §9.3.1 rule 3).
    @Test func aFailedSyncRefusesEveryLaterSave() throws {
        let disk = diskWithDataDirectory()
        let file = try HardStateFile(path: Self.path, storage: SimulatedStorage(disk: disk))
        try file.save(Self.states[0])
        disk.failSyncs(.io, pathSuffix: "hard-state")
        #expect(throws: HardStateFileError.self) { try file.save(Self.states[1]) }
        disk.failSyncs(nil)
        let error = #expect(throws: HardStateFileError.self) { try file.save(Self.states[2]) }
        #expect(error == .io(StorageError(operation: "fdatasync", path: Self.path, errno: 5)))
        #expect(file.state == Self.states[0])
    }

    /// The slot layout of SPEC.md §11.1, field by field.
    @Test func slotLayoutIsTheSpecified() {
        #expect(SlotCoding.crc32c(Array("123456789".utf8)[...]) == 0xE306_9283)
        let bytes = HardStateSlot(sequence: 3, state: HardState(term: Term(0x0102), votedFor: NodeID(5))).encode()
        #expect(bytes.count == 64)
        #expect(Array(bytes[0..<8]) == [0x49, 0x52, 0x48, 0x53, 1, 0, 0, 0])  // "IRHS", version 1
        #expect(Array(bytes[8..<16]) == [3, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(bytes[16..<24]) == [2, 1, 0, 0, 0, 0, 0, 0])
        #expect(Array(bytes[24..<32]) == [5, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(bytes[32..<36]) == [1, 0, 0, 0])
        #expect(bytes[36..<60].allSatisfy { $0 == 0 })
        #expect(SlotCoding.loadUInt32(bytes[...], at: 60) == SlotCoding.crc32c(bytes[0..<60]))
        let noVote = HardStateSlot(sequence: 4, state: HardState(term: Term(9))).encode()
        #expect(noVote[24..<36].allSatisfy { $0 == 0 })
    }

    @Test func worksOnTheRealFileSystem() throws {
        let directory = try temporaryDirectory()
        let path = directory + "/hard-state"
        let file = try HardStateFile(path: path, storage: PosixStorage())
        #expect(file.state == HardState())
        for state in Self.states { try file.save(state) }
        let reopened = try HardStateFile(path: path, storage: PosixStorage())
        #expect(reopened.state == Self.states.last && reopened.sequence == UInt64(Self.states.count))
    }
}
