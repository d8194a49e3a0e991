import Dispatch
import Synchronization
import Testing

@testable import IrisDaemon

/// The shard's outbox (`SerialOutbox`): work queued from several threads is carried out once
/// each, in queue order, by one thread at a time, and work queued while it runs is not nested.
@Suite("Serial outbox")
struct SerialOutboxTests {
    /// One performed item: which producer queued it and its sequence number there.
    struct Item: Sendable, Equatable {
        var producer: Int
        var sequence: Int
    }

    @Test("items queued by concurrent threads are performed once each, in each thread's order, one thread at a time")
    func concurrentProducers() {
        let outbox = SerialOutbox<Item>()
        let performed = Mutex<[Item]>([])
        let active = Atomic<Int>(0)
        let overlaps = Atomic<Int>(0)
        let producers = 4
        let perProducer = 2_000
        DispatchQueue.concurrentPerform(iterations: producers) { producer in
            for sequence in 0..<perProducer {
                // Two items at a time, as a shard queues a core step's actions together.
                guard sequence % 2 == 0 else { continue }
                let items = [Item(producer: producer, sequence: sequence), Item(producer: producer, sequence: sequence + 1)]
                if outbox.enqueue(items) {
                    outbox.drain { item in
                        if active.add(1, ordering: .acquiringAndReleasing).newValue > 1 { overlaps.add(1, ordering: .relaxed) }
                        performed.withLock { $0.append(item) }
                        active.subtract(1, ordering: .acquiringAndReleasing)
                    }
                }
            }
        }
        let all = performed.withLock { $0 }
        #expect(all.count == producers * perProducer, "every item performed exactly once")
        for producer in 0..<producers {
            #expect(all.filter { $0.producer == producer }.map(\.sequence) == Array(0..<perProducer), "producer \(producer)'s order kept")
        }
        #expect(overlaps.load(ordering: .relaxed) == 0, "never two threads performing at once")
        #expect(outbox.enqueue([]), "idle afterwards: the next caller drains")
        outbox.drain { _ in Issue.record("nothing was queued") }
    }

    @Test("an item queued while draining runs after the current ones, in the same drain, not nested")
    func reentrantEnqueue() {
        let outbox = SerialOutbox<Int>()
        var order: [Int] = []
        var depth = 0
        var deepest = 0
        #expect(outbox.enqueue([1, 2]))
        outbox.drain { item in
            depth += 1
            deepest = max(deepest, depth)
            order.append(item)
            if item == 1 {
                #expect(!outbox.enqueue([3]), "the draining thread is already carrying the queue out")
            }
            depth -= 1
        }
        #expect(order == [1, 2, 3])
        #expect(deepest == 1)
        #expect(outbox.enqueue([4]), "idle after the drain")
        outbox.drain { order.append($0) }
        #expect(order == [1, 2, 3, 4])
    }
}
