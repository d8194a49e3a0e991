import Synchronization
import Testing
@testable import IrisLog

/// `Log.appendBlocking` (SPEC.md §7): a thread of the caller's own that finds the writer idle
/// writes and syncs its frame itself, with no hand-off to the engine's threads; under load it
/// waits like `append`; either way an acknowledged record is durable, and every error is the
/// one `append` gives.
struct BlockingAppendTests {
    private func onThreads(_ count: Int, name: String, _ body: @escaping @Sendable (Int) throws -> Void) async -> [String] {
        await Threads(count, name: name, body).wait()
    }

    /// A lone producer thread costs its own write and fdatasync: the syncs run on its thread,
    /// not on the engine's lane or sync threads.
    @Test func aLoneProducerSyncsOnItsOwnThread() async throws {
        let fixture = LogFixture(.simulated)
        let log = try fixture.open()
        let offsets = Shared<[Offset]>([])
        let errors = await onThreads(1, name: "test-producer") { _ in
            for index in 0..<50 {
                let offset = try log.appendBlocking(payload(index, size: 100))
                offsets.update { $0.append(offset) }
            }
        }
        #expect(errors.isEmpty)
        #expect(offsets.value == (0..<50).map { Offset(UInt64($0)) })
        let byThread = fixture.disk!.syncsByThread
        // The first append may meet the writer's opening turn on the lane; the rest find it idle.
        #expect(byThread["test-producer", default: 0] >= 45, "syncs by thread: \(byThread)")
        #expect(try log.readAll().map(\.value) == (0..<50).map { payload($0, size: 100) })
        #expect(await log.close() == nil)
    }

    /// Threads appending with `appendBlocking` and tasks appending with `append`, all at once:
    /// every record gets one offset, none is lost or doubled, and all are there after a reopen.
    @Test(arguments: [Backend.simulated, .posix])
    func blockingAndAsyncAppendsInterleave(backend: Backend) async throws {
        let fixture = LogFixture(backend)
        defer { fixture.cleanup() }
        let log = try fixture.open()
        let perProducer = 150
        let written = Shared<[Offset: [UInt8]]>([:])
        let threads = Threads(4, name: "test-blocking") { thread in
            for index in 0..<perProducer {
                let value = payload(thread * 1000 + index, size: 64)
                let offset = try log.appendBlocking(value)
                written.update { $0[offset] = value }
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 4..<8 {
                group.addTask {
                    for index in 0..<perProducer {
                        let value = payload(task * 1000 + index, size: 64)
                        let offset = try await log.append(value)
                        written.update { $0[offset] = value }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(await threads.wait().isEmpty)
        let expected = written.value
        #expect(expected.count == 8 * perProducer, "an offset was given twice")
        #expect(Set(expected.keys) == Set((0..<8 * perProducer).map { Offset(UInt64($0)) }))
        #expect(await log.close() == nil)
        let reopened = try fixture.open(readOnly: true)
        for record in try reopened.readAll() { #expect(record.value == expected[record.offset]) }
        #expect(reopened.nextOffset == Offset(UInt64(8 * perProducer)))
    }

    /// What a blocking append acknowledged survives any power loss right after.
    @Test func acknowledgedBlockingAppendsSurviveAPowerLoss() async throws {
        for seed in UInt64(1)...20 {
            let fixture = LogFixture(.simulated)
            let log = try fixture.open()
            let acknowledged = Shared(0)
            let errors = await onThreads(2, name: "test-blocking") { thread in
                for index in 0..<30 {
                    _ = try log.appendBlocking(payload(thread * 100 + index, size: 200))
                    acknowledged.update { $0 += 1 }
                }
            }
            #expect(errors.isEmpty)
            fixture.disk!.powerLoss(seed: seed)
            await log.close()
            let reopened = try fixture.open()
            #expect(reopened.nextOffset == Offset(UInt64(acknowledged.value)), "seed \(seed)")
            await reopened.close()
        }
    }

    /// The errors of `append`: a read-only or closed log, an empty or too large call, and a
    /// failed fdatasync, which stops the log.
    @Test func blockingAppendsFailAsAppendsDo() async throws {
        let fixture = LogFixture(.simulated) { $0.recordBytesMax = 1000 }
        let log = try fixture.open()
        #expect(throws: LogError.emptyBatch) { try log.appendBlocking(contentsOf: []) }
        #expect(throws: LogError.recordTooLarge(bytes: 1001, max: 1000)) { try log.appendBlocking([UInt8](repeating: 1, count: 1001)) }
        #expect(await onThreads(1, name: "test-blocking") { _ in _ = try log.appendBlocking([1]) }.isEmpty)
        fixture.disk!.failSyncs(.io, pathSuffix: ".log")
        let failed = await onThreads(1, name: "test-blocking") { _ in _ = try log.appendBlocking([2]) }
        #expect(failed.count == 1 && failed[0].contains("fdatasync"), "\(failed)")
        #expect(throws: LogError.self) { try log.appendBlocking([3]) }
        #expect(log.failure != nil)
        fixture.disk!.failSyncs(nil)
        _ = await log.close()
        // The failed append may be durable after all ("outcome unknown"), nothing else is.
        let readOnly = try fixture.open(readOnly: true)
        #expect(throws: LogError.readOnly) { try readOnly.appendBlocking([5]) }
        #expect([[[1]], [[1], [2]]].contains(try readOnly.readAll().map(\.value)))
        let healthy = LogFixture(.simulated)
        let closed = try healthy.open()
        _ = await closed.close()
        #expect(throws: LogError.closed) { try closed.appendBlocking([4]) }
    }
}

/// Starts `body(index)` on `count` OS threads named `name`; `wait()` returns once all have
/// finished, with what they threw as text. It suspends rather than blocks: a test that held a
/// cooperative thread while its threads wait on a lane could starve another test that must run
/// to let that lane go on (a sync gate it opens later).
private final class Threads: Sendable {
    private struct State {
        var running: Int
        var errors: [String] = []
        var waiter: CheckedContinuation<[String], Never>?
    }

    private let state: Mutex<State>

    init(_ count: Int, name: String, _ body: @escaping @Sendable (Int) throws -> Void) {
        state = Mutex(State(running: count))
        for index in 0..<count {
            OSThread.start(name: name) { [self] in
                var failure: String?
                do { try body(index) } catch { failure = "\(error)" }
                finished(failure)
            }
        }
    }

    private func finished(_ failure: String?) {
        let resume: (CheckedContinuation<[String], Never>, [String])? = state.withLock { state in
            if let failure { state.errors.append(failure) }
            state.running -= 1
            guard state.running == 0, let waiter = state.waiter else { return nil }
            state.waiter = nil
            return (waiter, state.errors)
        }
        if let (waiter, errors) = resume { waiter.resume(returning: errors) }
    }

    func wait() async -> [String] {
        await withCheckedContinuation { (waiter: CheckedContinuation<[String], Never>) in
            let done: [String]? = state.withLock { state in
                guard state.running > 0 else { return state.errors }
                state.waiter = waiter
                return nil
            }
            if let done { waiter.resume(returning: done) }
        }
    }
}

/// A value shared by the threads and tasks of a test.
private final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func update<T>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
    var value: Value { mutex.withLock { $0 } }
}
