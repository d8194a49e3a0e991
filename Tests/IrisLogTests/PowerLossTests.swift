import Foundation
import Synchronization
import Testing
@testable import IrisLog

/// Power loss on the simulated disk: everything after the last completed fdatasync is
/// dropped or torn sector by sector, unsynced directory changes vanish. Whatever the seed,
/// every acknowledged record must come back, byte for byte, and the log must open.
struct PowerLossTests {
    /// Seeds to run; CI raises it with IRIS_POWER_LOSS_SEEDS.
    static let seeds = Int(ProcessInfo.processInfo.environment["IRIS_POWER_LOSS_SEEDS"] ?? "") ?? 300

    @Test func noAcknowledgedRecordIsLostWhateverTheSeed() async throws {
        var violations: [String] = []
        for seed in 0..<UInt64(Self.seeds) {
            if let violation = try await Self.run(seed: seed) { violations.append(violation) }
            if violations.count >= 5 { break }
        }
        #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))")
    }

    /// A record's bytes: a 4-byte tag (writer, sequence, kind) then content derived from it,
    /// so any record found after recovery can be checked to be one a producer wrote.
    static func value(writer: UInt8, sequence: Int, kind: UInt8, size: Int) -> [UInt8] {
        [writer, UInt8(truncatingIfNeeded: sequence >> 8), UInt8(truncatingIfNeeded: sequence), kind]
            + payload(Int(writer) &* 65_537 &+ sequence &* 3 &+ Int(kind), size: size)
    }

    static func isWritten(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4 else { return false }
        let sequence = Int(bytes[1]) << 8 | Int(bytes[2])
        return value(writer: bytes[0], sequence: sequence, kind: bytes[3], size: bytes.count - 4) == bytes
    }

    /// One seed: a few producers append until `crashAfter` acknowledgements, then power fails.
    /// Returns a description of the violation, if any.
    static func run(seed: UInt64) async throws -> String? {
        var random = SplitMix64(seed: seed &* 0x9E37_79B9)
        let disk = SimulatedDisk()
        var configuration = LogConfiguration()
        configuration.ioBackend = .simulated(disk)
        configuration.segmentSizeBytes = 64 << 10
        configuration.writeGroupBytesMax = 4096 << (random.next() % 3)
        configuration.batchBytesMax = 16 << 10
        configuration.recordBytesMax = 16 << 10
        configuration.compression = random.next() % 2 == 0 ? .none : .zstd
        configuration.checkpointIntervalBytes = max(configuration.writeGroupBytesMax, 8192 << (random.next() % 3))

        // Earlier lives: the log may already hold data from before, recovered at open.
        let lives = 1 + Int(random.next() % 3)
        let acknowledged = Locked<[Offset: [UInt8]]>([:])
        for life in 0..<lives {
            let log: Log
            do { log = try Log.open(directory: "/log", configuration: configuration) } catch {
                return "seed \(seed) life \(life): open failed after power loss: \(error)"
            }
            // Everything acknowledged in earlier lives must be here, identical.
            let recovered: [LogRecord]
            do { recovered = try log.readAll() } catch { return "seed \(seed) life \(life): read failed: \(error)" }
            let byOffset = Dictionary(uniqueKeysWithValues: recovered.map { ($0.offset, $0.value) })
            if recovered.first.map({ $0.offset != Offset(0) }) ?? false { return "seed \(seed): log does not start at 0" }
            for (offset, value) in acknowledged.withLock({ $0 }) where byOffset[offset] != value {
                return "seed \(seed) life \(life): acknowledged offset \(offset) lost or changed"
            }
            // Recovered records past the acknowledged ones must still be records someone wrote.
            for record in recovered where !isWritten(record.value) {
                return "seed \(seed) life \(life): offset \(record.offset) holds bytes nobody wrote"
            }
            let crashAfter = Int(random.next() % 40)
            let producers = 1 + Int(random.next() % 6)
            let sizes = (0..<producers).map { _ in Int(random.next() % 3000) }
            let powerSeed = random.next()
            let progress = CrashProgress()
            await withTaskGroup(of: Void.self) { group in
                for producer in 0..<producers {
                    group.addTask {
                        for sequence in 0..<200 {
                            if progress.crashed.load(ordering: .acquiring) { return }
                            let size = (sizes[producer] + sequence * 131) % 3000
                            let writer = UInt8(life * 16 + producer)
                            do {
                                if sequence % 5 == 4 {
                                    let members = (0..<2).map { value(writer: writer, sequence: sequence, kind: UInt8($0 + 1), size: size / 2) }
                                    let range = try await log.append(contentsOf: members.map { Record(value: $0) })
                                    acknowledged.withLock {
                                        $0[range.lowerBound] = members[0]
                                        $0[range.upperBound] = members[1]
                                    }
                                } else {
                                    let record = value(writer: writer, sequence: sequence, kind: 0, size: size)
                                    let offset = try await log.append(record)
                                    acknowledged.withLock { $0[offset] = record }
                                }
                            } catch {
                                return
                            }
                            if progress.acknowledged.add(1, ordering: .acquiringAndReleasing).newValue == crashAfter,
                               !progress.crashed.exchange(true, ordering: .acquiringAndReleasing) {
                                disk.powerLoss(seed: powerSeed)
                            }
                        }
                    }
                }
            }
            if !progress.crashed.load(ordering: .acquiring) { disk.powerLoss(seed: powerSeed) }
            await log.close()
        }
        let final: Log
        do { final = try Log.open(directory: "/log", configuration: configuration) } catch {
            return "seed \(seed): final open failed: \(error)"
        }
        defer { Task { await final.close() } }
        let recovered = try final.readAll()
        let byOffset = Dictionary(uniqueKeysWithValues: recovered.map { ($0.offset, $0.value) })
        for (offset, value) in acknowledged.withLock({ $0 }) where byOffset[offset] != value {
            return "seed \(seed): acknowledged offset \(offset) lost or changed"
        }
        return nil
    }

}

/// Shared between one seed's producers: how many appends were acknowledged, whether power failed.
final class CrashProgress: Sendable {
    let acknowledged = Atomic<Int>(0)
    let crashed = Atomic<Bool>(false)
}

/// A value behind a mutex, shareable by reference between tasks.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T: Sendable>(_ body: (inout sending Value) -> sending T) -> T { mutex.withLock(body) }
}
