import IrisLog
import IrisReplication
import Testing
@testable import IrisNode

/// SPEC.md §11.2: a data directory remembers its cluster, node, P and R, and a node started
/// with any other refuses with a typed error that names the file and both values.
struct ClusterIdentityFileTests {
    static let path = "/data/cluster"
    static let identity = ClusterIdentity(clusterID: ClusterID(0xA1), nodeID: NodeID(2), partitionCount: 64, replicaCount: 3)

    @Test func aNewDirectoryIsStampedAndThenMatches() throws {
        let disk = diskWithDataDirectory()
        let storage = SimulatedStorage(disk: disk)
        #expect(try ClusterIdentityFile.load(path: Self.path, storage: storage) == nil)
        #expect(try ClusterIdentityFile.check(Self.identity, path: Self.path, storage: storage) == .created)
        disk.powerLoss(seed: 1)
        let after = SimulatedStorage(disk: disk)
        #expect(try ClusterIdentityFile.load(path: Self.path, storage: after) == Self.identity)
        #expect(try ClusterIdentityFile.check(Self.identity, path: Self.path, storage: after) == .matched)
    }

    @Test func anyDifferenceIsRefusedWithItsOwnError() throws {
        let storage = SimulatedStorage(disk: diskWithDataDirectory())
        _ = try ClusterIdentityFile.check(Self.identity, path: Self.path, storage: storage)
        var other = Self.identity
        other.partitionCount = 128
        #expect(throws: ClusterIdentityError.partitionCountMismatch(path: Self.path, stored: 64, configured: 128)) {
            try ClusterIdentityFile.check(other, path: Self.path, storage: storage)
        }
        #expect(ClusterIdentityError.partitionCountMismatch(path: Self.path, stored: 64, configured: 128).description.contains("--partitions 64"))
        other = Self.identity
        other.clusterID = ClusterID(0xB2)
        #expect(throws: ClusterIdentityError.clusterMismatch(path: Self.path, stored: ClusterID(0xA1), configured: ClusterID(0xB2))) {
            try ClusterIdentityFile.check(other, path: Self.path, storage: storage)
        }
        other = Self.identity
        other.nodeID = NodeID(3)
        #expect(throws: ClusterIdentityError.nodeMismatch(path: Self.path, stored: NodeID(2), configured: NodeID(3))) {
            try ClusterIdentityFile.check(other, path: Self.path, storage: storage)
        }
        other = Self.identity
        other.replicaCount = 5
        #expect(throws: ClusterIdentityError.replicaCountMismatch(path: Self.path, stored: 3, configured: 5)) {
            try ClusterIdentityFile.check(other, path: Self.path, storage: storage)
        }
        // Nothing was overwritten by the refusals.
        #expect(try ClusterIdentityFile.check(Self.identity, path: Self.path, storage: storage) == .matched)
    }

    /// A power cut after any call of the creation leaves no file (the next start creates it)
    /// or the whole file: never a damaged one.
    @Test func powerLossDuringCreationLeavesNoFileOrTheWholeFile() throws {
        var outcomes: Set<Bool> = []
        for calls in 1...6 {
            for seed in UInt64(0)..<8 {
                let disk = diskWithDataDirectory()
                disk.powerLoss(afterCalls: calls, seed: seed)
                _ = try? ClusterIdentityFile.check(Self.identity, path: Self.path, storage: SimulatedStorage(disk: disk))
                if disk.powerLossCount == 0 { disk.powerLoss(seed: seed) }
                let stored = try ClusterIdentityFile.load(path: Self.path, storage: SimulatedStorage(disk: disk))
                #expect(stored == nil || stored == Self.identity)
                outcomes.insert(stored != nil)
                #expect(try ClusterIdentityFile.check(Self.identity, path: Self.path, storage: SimulatedStorage(disk: disk)) == (stored == nil ? .created : .matched))
            }
        }
        #expect(outcomes == [false, true])
    }

    @Test func damagedFilesAreTypedErrorsAndRandomBytesNeverTrap() throws {
        var generator = SplitMix64(seed: 5)
        let valid = ClusterIdentityRecord.encode(Self.identity)
        var samples: [[UInt8]] = [[], [0], [UInt8](repeating: 0, count: 64), valid + [0]]
        for _ in 0..<2_000 {
            var bytes = valid
            bytes[Int.random(in: 0..<64, using: &generator)] ^= UInt8.random(in: 1...255, using: &generator)
            samples.append(bytes)
            samples.append((0..<Int.random(in: 0...80, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        }
        // A record with a valid CRC but an impossible P.
        var impossible = valid
        SlotCoding.store(UInt32(0), &impossible, at: 24)
        SlotCoding.seal(&impossible)
        samples.append(impossible)
        for bytes in samples {
            let disk = diskWithDataDirectory()
            disk.setContents(of: Self.path, to: bytes)
            let error = #expect(throws: ClusterIdentityError.self) {
                try ClusterIdentityFile.check(Self.identity, path: Self.path, storage: SimulatedStorage(disk: disk))
            }
            guard case .damaged(let path, _)? = error else { Issue.record("\(String(describing: error))"); continue }
            #expect(path == Self.path)
        }
    }

    @Test func recordLayoutIsTheSpecified() {
        let bytes = ClusterIdentityRecord.encode(Self.identity)
        #expect(Array(bytes[0..<8]) == [0x49, 0x52, 0x43, 0x4C, 1, 0, 0, 0])  // "IRCL", version 1
        #expect(Array(bytes[8..<16]) == [0xA1, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(bytes[16..<24]) == [2, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(bytes[24..<32]) == [64, 0, 0, 0, 3, 0, 0, 0])
        #expect(bytes[32..<60].allSatisfy { $0 == 0 })
        #expect(SlotCoding.loadUInt32(bytes[...], at: 60) == SlotCoding.crc32c(bytes[0..<60]))
    }

    @Test func worksOnTheRealFileSystem() throws {
        let path = try temporaryDirectory() + "/cluster"
        #expect(try ClusterIdentityFile.check(Self.identity, path: path, storage: PosixStorage()) == .created)
        #expect(try ClusterIdentityFile.check(Self.identity, path: path, storage: PosixStorage()) == .matched)
        var other = Self.identity
        other.partitionCount = 8
        #expect(throws: ClusterIdentityError.partitionCountMismatch(path: path, stored: 64, configured: 8)) {
            try ClusterIdentityFile.check(other, path: path, storage: PosixStorage())
        }
    }
}
