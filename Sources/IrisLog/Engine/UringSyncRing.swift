import CURing
#if canImport(Glibc)
import Glibc
#endif

/// One io_uring ring for the fdatasyncs of every io_uring log in the process: `sync` queues an
/// `IORING_OP_FSYNC` entry (`IORING_FSYNC_DATASYNC`), `flush` submits every queued entry in one
/// `io_uring_submit`, so the syncs of many logs reach the kernel together and run in parallel
/// on its workers. One reaper thread waits for completions and calls each sync's completion.
/// The submission side is used under `submission`'s lock, the completion side by the reaper
/// alone, which is how io_uring lets two threads share a ring.
final class UringSyncRing: SyncService, @unchecked Sendable {
    // @unchecked: `ring`'s submission queue is touched only under `submission`, its completion
    // queue only by the reaper thread.
    private var ring = io_uring()
    /// Entries queued and not yet submitted.
    private let submission = ConditionLock(0)

    /// Fails when io_uring cannot be set up here (old kernel, seccomp, `kernel.io_uring_disabled`).
    init(entries: UInt32 = 256) throws(StorageError) {
        let result = io_uring_queue_init(entries, &ring, 0)
        guard result == 0 else { throw StorageError(operation: "io_uring_queue_init", path: "", errno: -result) }
        OSThread.start(name: "iris-uring") { self.reap() }
    }

    func sync(_ file: any StorageFile, then completion: @escaping @Sendable (StorageError?) -> Void) {
        guard let posixFile = file as? PosixFile else { preconditionFailure("io_uring storage got a file it did not open") }
        let job = Unmanaged.passRetained(SyncJob(file: file, completion: completion))
        let placed: Bool = submission.withLock { queued in
            var entry = io_uring_get_sqe(&ring)
            if entry == nil {
                submitQueued(&queued)
                entry = io_uring_get_sqe(&ring)
            }
            guard let entry else { return false }
            io_uring_prep_fsync(entry, posixFile.descriptor, UInt32(IORING_FSYNC_DATASYNC))
            io_uring_sqe_set_data(entry, job.toOpaque())
            queued += 1
            return true
        }
        guard !placed else { return }
        // The queue is full and the kernel takes no more until completions are reaped (EAGAIN,
        // EBUSY). Waiting here could wait for this very thread (the reaper starts syncs too), so
        // this one sync runs as a plain fdatasync on the calling thread: the same guarantee.
        _ = job.takeRetainedValue()
        var failure: StorageError? = nil
        do throws(StorageError) { try file.sync() } catch { failure = error }
        completion(failure)
    }

    func flush() {
        submission.withLock { queued in submitQueued(&queued) }
    }

    /// Submits the queued entries; with the lock held. A busy ring (EAGAIN, EBUSY: completions
    /// not yet reaped) keeps them queued for the next flush, which the reaper makes after every
    /// batch of completions it handles.
    private func submitQueued(_ queued: inout Int) {
        guard queued > 0 else { return }
        var submitted: Int32
        repeat { submitted = io_uring_submit(&ring) } while submitted == -EINTR
        if submitted == -EAGAIN || submitted == -EBUSY { return }
        precondition(submitted >= 0, "io_uring_submit failed with errno \(-submitted)")
        queued = max(0, queued - Int(submitted))
    }

    /// The reaper: calls the completion of every finished sync, then submits what those
    /// completions (and anyone meanwhile) queued.
    private func reap() {
        while true {
            var completion: UnsafeMutablePointer<io_uring_cqe>? = nil
            let waited = io_uring_wait_cqe(&ring, &completion)
            if waited == -EINTR { continue }
            precondition(waited == 0, "io_uring_wait_cqe failed with errno \(-waited)")
            while let finished = completion {
                let job = Unmanaged<SyncJob>.fromOpaque(io_uring_cqe_get_data(finished)!).takeRetainedValue()
                let result = finished.pointee.res
                io_uring_cqe_seen(&ring, finished)
                job.completion(result < 0 ? StorageError(operation: "io_uring fdatasync", path: job.file.path, errno: -result) : nil)
                completion = nil
                if io_uring_peek_cqe(&ring, &completion) != 0 { completion = nil }
            }
            flush()
        }
    }
}
