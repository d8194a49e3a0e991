import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Starts `count` OS threads (one per producer, as a C library's user would), lets them all start
/// at once, and joins them. Each thread runs `body(index, deadline)` and returns the records it
/// appended. Returns the total and the wall time from the start signal until the last thread ended.
enum ProducerThreads {
    private final class Gate: @unchecked Sendable {
        let condition = NSCondition()
        var open = false
        var deadline: UInt64 = 0
        let results = Mutex<[Int]>([])
        let errors = Mutex<[String]>([])
    }

    static func run(
        count: Int, seconds: Double, _ body: @escaping @Sendable (Int, UInt64) throws -> Int
    ) throws -> (records: Int, elapsedNanoseconds: UInt64) {
        let gate = Gate()
        let done = DispatchGroup()
        for index in 0..<count {
            done.enter()
            let thread = Thread {
                gate.condition.lock()
                while !gate.open { gate.condition.wait() }
                let deadline = gate.deadline
                gate.condition.unlock()
                do {
                    let records = try body(index, deadline)
                    gate.results.withLock { $0.append(records) }
                } catch {
                    gate.errors.withLock { $0.append("\(error)") }
                }
                done.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        gate.condition.lock()
        let start = MonotonicClock.nanoseconds()
        gate.deadline = start + UInt64(seconds * 1e9)
        gate.open = true
        gate.condition.broadcast()
        gate.condition.unlock()
        done.wait()
        let elapsed = MonotonicClock.nanoseconds() - start
        if let error = gate.errors.withLock({ $0.first }) { throw BenchError("producer failed: \(error)") }
        return (gate.results.withLock { $0.reduce(0, +) }, elapsed)
    }
}
