#if canImport(Glibc)
import CIrisSystem
import Glibc
#endif

/// A mutex with one condition variable, guarding a value. An engine lane sleeps on its
/// condition while no writer is ready; async callers only take a lock briefly.
final class ConditionLock<Value>: @unchecked Sendable {
    // @unchecked: `value` is only touched with `mutex` held.
    private var value: Value
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    func withLock<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }

    /// Waits, with the lock held, until `ready` returns a value, then returns it.
    func wait<T>(until ready: (inout Value) -> T?) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while true {
            if let result = ready(&value) { return result }
            pthread_cond_wait(condition, mutex)
        }
    }

    /// Wakes the waiter. Call with or without the lock held.
    func signal() { pthread_cond_signal(condition) }

    /// Wakes every thread waiting on the condition.
    func broadcast() { pthread_cond_broadcast(condition) }
}

/// Starts a detached OS thread: the engine blocks in system calls, which must not happen on
/// Swift concurrency's cooperative pool.
enum OSThread {
    /// Starts `body` on a thread named `name` (at most 15 bytes kept: what `top -H`, `ps -L` and
    /// `/proc/PID/task/*/comm` show), so an operator or a profile tells the engine's threads apart.
    static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(ThreadBody(name: name, body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { pointer in
            let body = Unmanaged<ThreadBody>.fromOpaque(pointer!).takeRetainedValue()
            _ = iris_set_thread_name(body.name)
            body.body()
            return nil
        }, box)
        precondition(result == 0, "pthread_create failed with \(result)")
        pthread_detach(thread)
    }
}

private final class ThreadBody: Sendable {
    let name: String
    let body: @Sendable () -> Void
    init(name: String, _ body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }
}

/// Wall-clock time in microseconds since the Unix epoch, for record timestamps and retention.
/// The system clocks, as the engine and the node read them.
package enum WallClock {
    /// Microseconds since the Unix epoch (CLOCK_REALTIME): record timestamps.
    package static func nowMicroseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1000
    }

    /// Nanoseconds of CLOCK_MONOTONIC: durations.
    package static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
