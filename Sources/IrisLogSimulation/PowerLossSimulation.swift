import IrisLog
import Logging
import Synchronization

/// Power loss on the simulated disk, one seed at a time: producers append until a seeded
/// number of acknowledgements, then power fails (everything after the last completed
/// fdatasync is dropped or torn sector by sector; unsynced directory changes vanish), the
/// log reopens, and this repeats for a few lives. After every reopen it checks that every
/// acknowledged record is present byte for byte, that offsets start at 0 and are contiguous,
/// and that every record found is one a producer wrote.
public struct PowerLossSimulation: Sendable {
    public init() {}

    /// Thousands of expected I/O failures would drown the output.
    static let quiet = Logger(label: "iris.power-loss", factory: { _ in SwiftLogNoOpLogHandler() })

    /// What one seed did.
    public struct Outcome: Sendable {
        /// A description of the broken promise, with the seed; nil when all held.
        public var violation: String?
        public var acknowledged = 0
        public var powerLosses = 0
        public var tornTails = 0
    }

    /// Runs one seed. Deterministic in its choices (sizes, crash point, tearing); the
    /// interleaving of producers is the scheduler's.
    public func run(seed: UInt64) async -> Outcome {
        var random = SplitMix64(seed: seed)
        let disk = SimulatedDisk()
        var configuration = LogConfiguration()
        configuration.ioBackend = .simulated(disk)
        configuration.segmentSizeBytes = 64 << 10
        configuration.writeGroupBytesMax = 4096 << (random.next() % 3)
        configuration.batchBytesMax = 16 << 10
        configuration.recordBytesMax = 16 << 10
        configuration.compression = random.next() % 2 == 0 ? .none : .zstd
        configuration.checkpointIntervalBytes = max(configuration.writeGroupBytesMax, 8192 << (random.next() % 3))

        var outcome = Outcome()
        let acknowledged = Locked<[Offset: [UInt8]]>([:])
        let lives = 1 + Int(random.next() % 3)
        for life in 0...lives {
            let log: Log
            do { log = try Log.open(directory: "/log", configuration: configuration, logger: Self.quiet) } catch {
                outcome.violation = "seed \(seed) life \(life): open failed after power loss: \(error)"
                return outcome
            }
            if log.recoveryReport.tornTail != nil { outcome.tornTails += 1 }
            if let violation = check(log, acknowledged: acknowledged.withLock { $0 }, seed: seed, life: life) {
                outcome.violation = violation
                await log.close()
                return outcome
            }
            if life == lives {
                await log.close()
                break
            }
            let plan = LifePlan(life: life, random: &random)
            await runProducers(log: log, disk: disk, plan: plan, acknowledged: acknowledged)
            outcome.powerLosses += 1
            await log.close()
        }
        outcome.acknowledged = acknowledged.withLock { $0.count }
        return outcome
    }

    private struct LifePlan: Sendable {
        let life: Int
        /// Power fails after this many acknowledgements, or (when `writes`) after this many disk writes.
        let crashAfter: Int
        let countsWrites: Bool
        let sizes: [Int]
        let powerSeed: UInt64

        init(life: Int, random: inout SplitMix64) {
            self.life = life
            countsWrites = random.next() % 2 == 0
            crashAfter = Int(random.next() % 40) + (countsWrites ? 1 : 0)
            sizes = (0..<1 + Int(random.next() % 6)).map { _ in Int(random.next() % 3000) }
            powerSeed = random.next()
        }
    }

    private func runProducers(log: Log, disk: SimulatedDisk, plan: LifePlan, acknowledged: Locked<[Offset: [UInt8]]>) async {
        let progress = CrashProgress()
        if plan.countsWrites { disk.powerLoss(afterWrites: plan.crashAfter, seed: plan.powerSeed) }
        await withTaskGroup(of: Void.self) { group in
            for producer in plan.sizes.indices {
                group.addTask {
                    let writer = UInt8(plan.life * 16 + producer)
                    for sequence in 0..<200 {
                        if progress.crashed.load(ordering: .acquiring) { return }
                        let size = (plan.sizes[producer] + sequence * 131) % 3000
                        do {
                            if sequence % 5 == 4 {
                                let members = (0..<2).map { Self.value(writer: writer, sequence: sequence, kind: UInt8($0 + 1), size: size / 2) }
                                let range = try await log.append(contentsOf: members.map { Record(value: $0) })
                                acknowledged.withLock {
                                    $0[range.lowerBound] = members[0]
                                    $0[range.upperBound] = members[1]
                                }
                            } else {
                                let record = Self.value(writer: writer, sequence: sequence, kind: 0, size: size)
                                let offset = try await log.append(record)
                                acknowledged.withLock { $0[offset] = record }
                            }
                        } catch {
                            return
                        }
                        if !plan.countsWrites, progress.acknowledged.add(1, ordering: .acquiringAndReleasing).newValue == plan.crashAfter,
                           !progress.crashed.exchange(true, ordering: .acquiringAndReleasing) {
                            disk.powerLoss(seed: plan.powerSeed)
                        }
                    }
                }
            }
        }
        // Producers stop at their first error: with a scheduled power loss, that is the crash.
        if !plan.countsWrites, !progress.crashed.exchange(true, ordering: .acquiringAndReleasing) { disk.powerLoss(seed: plan.powerSeed) }
        if plan.countsWrites { disk.powerLoss(seed: plan.powerSeed) }
    }

    private func check(_ log: Log, acknowledged: [Offset: [UInt8]], seed: UInt64, life: Int) -> String? {
        var records: [LogRecord] = []
        var next = log.firstOffset
        do {
            while next < log.nextOffset {
                let batch = try log.read(from: next, maxBytes: 1 << 20)
                records += batch
                next = batch.last!.offset.advanced(by: 1)
            }
        } catch {
            return "seed \(seed) life \(life): read failed: \(error)"
        }
        for (index, record) in records.enumerated() where record.offset != Offset(UInt64(index)) {
            return "seed \(seed) life \(life): offsets not contiguous from 0 at \(record.offset)"
        }
        for (offset, value) in acknowledged where offset.rawValue >= UInt64(records.count) || records[Int(offset.rawValue)].value != value {
            return "seed \(seed) life \(life): acknowledged offset \(offset) lost or changed"
        }
        for record in records where !Self.isWritten(record.value) {
            return "seed \(seed) life \(life): offset \(record.offset) holds bytes nobody wrote"
        }
        return nil
    }

    /// A record's bytes: a 4-byte tag (writer, sequence, kind) then content derived from it,
    /// so any record found after recovery can be checked to be one a producer wrote.
    static func value(writer: UInt8, sequence: Int, kind: UInt8, size: Int) -> [UInt8] {
        var state = UInt64(writer) << 32 | UInt64(sequence) << 8 | UInt64(kind)
        var bytes: [UInt8] = [writer, UInt8(truncatingIfNeeded: sequence >> 8), UInt8(truncatingIfNeeded: sequence), kind]
        bytes.reserveCapacity(size + 4)
        for _ in 0..<size {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes.append(UInt8(truncatingIfNeeded: state >> 33))
        }
        return bytes
    }

    static func isWritten(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4 else { return false }
        return value(writer: bytes[0], sequence: Int(bytes[1]) << 8 | Int(bytes[2]), kind: bytes[3], size: bytes.count - 4) == bytes
    }
}

/// Shared by one life's producers: acknowledgements so far, and whether power failed.
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
