import Foundation
import IrisLog
import Synchronization

/// One life of a log under `Durability.fsync` with concurrent producers: each appends single
/// records and pairs until power fails, after a seeded number of acknowledgements or of
/// mutating storage calls. In half the lives the odd-numbered producers are OS threads calling
/// `appendBlocking` (which run the writer's turns themselves when it is idle), the others tasks
/// calling `append`. Which producer gets which offset is the scheduler's choice, so the check is
/// by acknowledgement: every acknowledged record is present byte for byte, offsets are
/// contiguous from 0, and every record found is one a producer wrote.
struct ConcurrentLife: Sendable {
    let life: Int
    /// Power fails after this many acknowledgements, or (when `countsCalls`) after this many mutating calls.
    let crashAfter: Int
    let countsCalls: Bool
    let sizes: [Int]
    let powerSeed: UInt64
    /// Whether the odd-numbered producers are threads in `appendBlocking`.
    let blockingThreads: Bool

    init(life: Int, random: inout SplitMix64) {
        self.life = life
        countsCalls = random.next() % 2 == 0
        crashAfter = Int(random.next() % 40) + (countsCalls ? 1 : 0)
        sizes = (0..<1 + Int(random.next() % 6)).map { _ in Int(random.next() % 3000) }
        powerSeed = random.next()
        blockingThreads = random.next() % 2 == 0
    }

    /// Runs the life; returns how many appends `appendBlocking` acknowledged.
    func run(log: Log, disk: SimulatedDisk, acknowledged: Locked<[Offset: [UInt8]]>) async -> Int {
        let progress = CrashProgress()
        if countsCalls { disk.powerLoss(afterCalls: crashAfter, seed: powerSeed) }
        await withTaskGroup(of: Void.self) { group in
            for producer in sizes.indices {
                let producer = Producer(life: self, index: producer, log: log, disk: disk, acknowledged: acknowledged, progress: progress)
                if blockingThreads && producer.index % 2 == 1 {
                    group.addTask { await producer.runOnThread() }
                } else {
                    group.addTask { await producer.run() }
                }
            }
        }
        // Producers stop at their first error: with a scheduled power loss, that is the crash.
        if !countsCalls, !progress.crashed.exchange(true, ordering: .acquiringAndReleasing) { disk.powerLoss(seed: powerSeed) }
        if countsCalls { disk.powerLoss(seed: powerSeed) }
        return progress.blockingAcknowledged.load(ordering: .acquiring)
    }

    /// One producer of a life: 200 appends (every fifth a pair), stopping at the first error or
    /// once power failed.
    private struct Producer: Sendable {
        let life: ConcurrentLife
        let index: Int
        let log: Log
        let disk: SimulatedDisk
        let acknowledged: Locked<[Offset: [UInt8]]>
        let progress: CrashProgress

        /// The values of append number `sequence`.
        private func values(_ sequence: Int) -> [[UInt8]] {
            let writer = UInt8(life.life * 16 + index)
            let size = (life.sizes[index] + sequence * 131) % 3000
            guard sequence % 5 == 4 else { return [RecordValue.make(writer: writer, sequence: sequence, kind: 0, size: size)] }
            return (0..<2).map { RecordValue.make(writer: writer, sequence: sequence, kind: UInt8($0 + 1), size: size / 2) }
        }

        /// Records an acknowledged append, and cuts the power when it is the one the life waits for.
        private func acknowledge(_ range: ClosedRange<Offset>, _ values: [[UInt8]]) {
            acknowledged.withLock { map in
                for (offset, value) in zip(range.lowerBound.rawValue...range.upperBound.rawValue, values) { map[Offset(offset)] = value }
            }
            if !life.countsCalls, progress.acknowledged.add(1, ordering: .acquiringAndReleasing).newValue == life.crashAfter,
               !progress.crashed.exchange(true, ordering: .acquiringAndReleasing) {
                disk.powerLoss(seed: life.powerSeed)
            }
        }

        func run() async {
            for sequence in 0..<200 {
                if progress.crashed.load(ordering: .acquiring) { return }
                let values = values(sequence)
                guard let range = try? await log.append(contentsOf: values.map { Record(value: $0) }) else { return }
                acknowledge(range, values)
            }
        }

        /// `run()` with `appendBlocking`, on a thread of its own; returns when the thread is done.
        func runOnThread() async {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                let thread = Thread {
                    for sequence in 0..<200 {
                        if progress.crashed.load(ordering: .acquiring) { break }
                        let values = values(sequence)
                        guard let range = try? log.appendBlocking(contentsOf: values.map { Record(value: $0) }) else { break }
                        acknowledge(range, values)
                        progress.blockingAcknowledged.add(1, ordering: .relaxed)
                    }
                    done.resume()
                }
                thread.start()
            }
        }
    }

    static func check(_ log: Log, acknowledged: [Offset: [UInt8]]) -> String? {
        var records: [LogRecord] = []
        var next = log.firstOffset
        do {
            while next < log.nextOffset {
                let batch = try log.read(from: next, maxBytes: 1 << 20)
                records += batch
                next = batch.last!.offset.advanced(by: 1)
            }
        } catch {
            return "read failed: \(error)"
        }
        for (index, record) in records.enumerated() where record.offset != Offset(UInt64(index)) {
            return "offsets not contiguous from 0 at \(record.offset)"
        }
        for (offset, value) in acknowledged where offset.rawValue >= UInt64(records.count) || records[Int(offset.rawValue)].value != value {
            return "acknowledged offset \(offset) lost or changed"
        }
        for record in records where !RecordValue.isWritten(record.value) {
            return "offset \(record.offset) holds bytes nobody wrote"
        }
        return nil
    }
}

/// Shared by one life's producers: acknowledgements so far, and whether power failed.
final class CrashProgress: Sendable {
    let acknowledged = Atomic<Int>(0)
    let crashed = Atomic<Bool>(false)
    let blockingAcknowledged = Atomic<Int>(0)
}

/// A value behind a mutex, shareable by reference between tasks.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T: Sendable>(_ body: (inout sending Value) -> sending T) -> T { mutex.withLock(body) }
}
