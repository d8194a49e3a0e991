import IrisLog
import Synchronization

/// One life of a log under `Durability.fsync` with concurrent producers: each appends single
/// records and pairs until power fails, after a seeded number of acknowledgements or of
/// mutating storage calls. Which producer gets which offset is the scheduler's choice, so
/// the check is by acknowledgement: every acknowledged record is present byte for byte,
/// offsets are contiguous from 0, and every record found is one a producer wrote.
struct ConcurrentLife: Sendable {
    let life: Int
    /// Power fails after this many acknowledgements, or (when `countsCalls`) after this many mutating calls.
    let crashAfter: Int
    let countsCalls: Bool
    let sizes: [Int]
    let powerSeed: UInt64

    init(life: Int, random: inout SplitMix64) {
        self.life = life
        countsCalls = random.next() % 2 == 0
        crashAfter = Int(random.next() % 40) + (countsCalls ? 1 : 0)
        sizes = (0..<1 + Int(random.next() % 6)).map { _ in Int(random.next() % 3000) }
        powerSeed = random.next()
    }

    func run(log: Log, disk: SimulatedDisk, acknowledged: Locked<[Offset: [UInt8]]>) async {
        let progress = CrashProgress()
        if countsCalls { disk.powerLoss(afterCalls: crashAfter, seed: powerSeed) }
        await withTaskGroup(of: Void.self) { group in
            for producer in sizes.indices {
                group.addTask {
                    let writer = UInt8(life * 16 + producer)
                    for sequence in 0..<200 {
                        if progress.crashed.load(ordering: .acquiring) { return }
                        let size = (sizes[producer] + sequence * 131) % 3000
                        do {
                            if sequence % 5 == 4 {
                                let members = (0..<2).map { RecordValue.make(writer: writer, sequence: sequence, kind: UInt8($0 + 1), size: size / 2) }
                                let range = try await log.append(contentsOf: members.map { Record(value: $0) })
                                acknowledged.withLock {
                                    $0[range.lowerBound] = members[0]
                                    $0[range.upperBound] = members[1]
                                }
                            } else {
                                let record = RecordValue.make(writer: writer, sequence: sequence, kind: 0, size: size)
                                let offset = try await log.append(record)
                                acknowledged.withLock { $0[offset] = record }
                            }
                        } catch {
                            return
                        }
                        if !countsCalls, progress.acknowledged.add(1, ordering: .acquiringAndReleasing).newValue == crashAfter,
                           !progress.crashed.exchange(true, ordering: .acquiringAndReleasing) {
                            disk.powerLoss(seed: powerSeed)
                        }
                    }
                }
            }
        }
        // Producers stop at their first error: with a scheduled power loss, that is the crash.
        if !countsCalls, !progress.crashed.exchange(true, ordering: .acquiringAndReleasing) { disk.powerLoss(seed: powerSeed) }
        if countsCalls { disk.powerLoss(seed: powerSeed) }
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
}

/// A value behind a mutex, shareable by reference between tasks.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T: Sendable>(_ body: (inout sending Value) -> sending T) -> T { mutex.withLock(body) }
}
