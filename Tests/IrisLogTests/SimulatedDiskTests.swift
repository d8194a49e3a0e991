import Testing
@testable import IrisLog

/// The simulated disk loses exactly what a real disk may lose at power loss, each seed
/// choosing one of the allowed outcomes; these tests check the allowed outcomes all occur
/// over a range of seeds and that nothing else does.
struct SimulatedDiskTests {
    static let seeds = UInt64(0)..<64

    /// A disk holding `/d` (durable) and, for each name, a file in it with `bytes`, synced and
    /// with its directory synced.
    static func diskWithDurableFiles(_ names: [String], bytes: [UInt8] = [1, 2, 3]) throws -> (SimulatedDisk, SimulatedStorage) {
        let disk = SimulatedDisk()
        let storage = SimulatedStorage(disk: disk)
        try storage.createDirectory("/d")
        try storage.syncDirectory("/")
        for name in names {
            let file = try storage.openFile("/d/" + name, mode: .create)
            try file.write(bytes, at: 0)
            try file.sync()
        }
        try storage.syncDirectory("/d")
        return (disk, storage)
    }

    @Test func unsyncedUnlinksPersistIndependentlyAndALostOneBringsTheFileBack() throws {
        var outcomes: Set<[Bool]> = []
        for seed in Self.seeds {
            let (disk, storage) = try Self.diskWithDurableFiles(["a", "b"])
            try storage.removeFile("/d/a")
            try storage.removeFile("/d/b")
            disk.powerLoss(seed: seed)
            let survivors = ["a", "b"].map { disk.contents(of: "/d/" + $0) }
            for survivor in survivors where survivor != nil { #expect(survivor == [1, 2, 3]) }
            outcomes.insert(survivors.map { $0 != nil })
        }
        #expect(outcomes == [[false, false], [false, true], [true, false], [true, true]])
    }

    @Test func aCreateWithoutDirectorySyncCanVanishEvenAfterFdatasync() throws {
        var outcomes: Set<[UInt8]?> = []
        for seed in Self.seeds {
            let (disk, storage) = try Self.diskWithDurableFiles([])
            let file = try storage.openFile("/d/new", mode: .create)
            try file.write([7, 7], at: 0)
            try file.sync()
            disk.powerLoss(seed: seed)
            outcomes.insert(disk.contents(of: "/d/new"))
        }
        #expect(outcomes == [nil, [7, 7]])

        for seed in Self.seeds {
            let (disk, storage) = try Self.diskWithDurableFiles([])
            let file = try storage.openFile("/d/new", mode: .create)
            try file.write([7, 7], at: 0)
            try file.sync()
            try storage.syncDirectory("/d")
            disk.powerLoss(seed: seed)
            #expect(disk.contents(of: "/d/new") == [7, 7])
        }
    }

    @Test func aMkdirWithoutParentSyncCanLoseTheDirectoryAndEverythingInIt() throws {
        var lost = 0
        for seed in Self.seeds {
            let disk = SimulatedDisk()
            let storage = SimulatedStorage(disk: disk)
            try storage.createDirectory("/log")
            let file = try storage.openFile("/log/f", mode: .create)
            try file.write([9], at: 0)
            try file.sync()
            try storage.syncDirectory("/log")
            disk.powerLoss(seed: seed)
            let after = SimulatedStorage(disk: disk)
            if disk.isDirectory("/log") {
                #expect(disk.contents(of: "/log/f") == [9])
            } else {
                lost += 1
                #expect(disk.paths().isEmpty)
                #expect(throws: StorageError.self) { try after.listDirectory("/log") }
            }
        }
        #expect(lost > 0 && lost < Self.seeds.count)

        for seed in Self.seeds {
            let disk = SimulatedDisk()
            let storage = SimulatedStorage(disk: disk)
            try storage.createDirectory("/log")
            try storage.syncDirectory("/")
            disk.powerLoss(seed: seed)
            #expect(disk.isDirectory("/log"))
        }
    }

    @Test func anUnsyncedRenameIsAtomic() throws {
        var outcomes: Set<[Bool]> = []
        for seed in Self.seeds {
            let (disk, storage) = try Self.diskWithDurableFiles(["old"])
            try storage.renameFile(from: "/d/old", to: "/d/new")
            disk.powerLoss(seed: seed)
            let old = disk.contents(of: "/d/old")
            let new = disk.contents(of: "/d/new")
            #expect((old == nil) != (new == nil))
            #expect((old ?? new) == [1, 2, 3])
            outcomes.insert([old != nil, new != nil])
        }
        #expect(outcomes == [[true, false], [false, true]])
    }

    /// A write of [256, 1280) touches file sectors [0, 512), [512, 1024) and [1024, 1536):
    /// each of its three parts survives whole or not at all, independently.
    @Test func unsyncedWritesTearAtFileAlignedSectors() throws {
        var outcomes: Set<[Bool]> = []
        for seed in Self.seeds {
            let (disk, storage) = try Self.diskWithDurableFiles(["f"], bytes: [UInt8](repeating: 0, count: 2048))
            let file = try storage.openFile("/d/f", mode: .readWrite)
            try file.write([UInt8](repeating: 0xFF, count: 1024), at: 256)
            disk.powerLoss(seed: seed)
            let bytes = try #require(disk.contents(of: "/d/f"))
            #expect(bytes.count == 2048)
            #expect(bytes[0..<256].allSatisfy { $0 == 0 } && bytes[1280...].allSatisfy { $0 == 0 })
            var parts: [Bool] = []
            for part in [256..<512, 512..<1024, 1024..<1280] {
                let kept = bytes[part].allSatisfy { $0 == 0xFF }
                #expect(kept || bytes[part].allSatisfy { $0 == 0 }, "sector part \(part) torn inside")
                parts.append(kept)
            }
            outcomes.insert(parts)
        }
        #expect(outcomes.count == 8)
    }

    /// One round of every mutating call, in a directory of its own.
    static func round(_ index: Int, _ storage: SimulatedStorage) -> [(SimulatedDisk.Call, () throws -> Void)] {
        let directory = "/r\(index)"
        var file: (any StorageFile)?
        return [
            (.makeDirectory, { try storage.createDirectory(directory) }),
            (.create, { file = try storage.openFile(directory + "/f", mode: .create) }),
            (.write, { try file!.write([1, 2, 3], at: 0) }),
            (.sync, { try file!.sync() }),
            (.resize, { try file!.truncate(to: 1) }),
            (.allocate, { try file!.allocate(size: 4096) }),
            (.syncDirectory, { try storage.syncDirectory(directory) }),
            (.rename, { try storage.renameFile(from: directory + "/f", to: directory + "/g") }),
            (.remove, { try storage.removeFile(directory + "/g") }),
        ]
    }

    /// Runs three rounds; returns the index of the first call that failed (EIO after the
    /// power loss), nil when none did.
    static func firstFailure(_ disk: SimulatedDisk) -> Int? {
        let storage = SimulatedStorage(disk: disk)
        let calls = (0..<3).flatMap { round($0, storage) }
        for (index, (_, call)) in calls.enumerated() {
            do { try call() } catch { return index }
        }
        return nil
    }

    @Test(arguments: SimulatedDisk.Call.allCases)
    func powerLossStrikesRightAfterTheNthCallOfAKind(_ kind: SimulatedDisk.Call) {
        let disk = SimulatedDisk()
        if kind == .write { disk.powerLoss(afterWrites: 2, seed: 1) } else { disk.powerLoss(afterCalls: 2, of: [kind], seed: 1) }
        let kinds = (0..<3).flatMap { Self.round($0, SimulatedStorage(disk: SimulatedDisk())).map(\.0) }
        let second = kinds.indices.filter { kinds[$0] == kind }[1]
        #expect(Self.firstFailure(disk) == second + 1)
    }

    @Test func powerLossStrikesRightAfterTheNthCallOfAnyKind() {
        for calls in 1...20 {
            let disk = SimulatedDisk()
            disk.powerLoss(afterCalls: calls, seed: 1)
            #expect(Self.firstFailure(disk) == calls)
        }
        let disk = SimulatedDisk()
        #expect(Self.firstFailure(disk) == nil)
        #expect(disk.mutatingCallCount == 27)
    }
}
