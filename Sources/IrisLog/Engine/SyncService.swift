/// Runs fdatasyncs for the logs of the process (SPEC.md §7): the engine's sync pool or its
/// io_uring ring. A log has at most one sync in flight; many logs' syncs run at once.
protocol SyncService: AnyObject, Sendable {
    /// Starts an fdatasync of `file`, covering every write that completed before this call;
    /// `completion` is called once, on one of the service's threads, when it has finished:
    /// nil, or the error (never retried). It must return quickly: other logs' syncs wait.
    func sync(_ file: any StorageFile, then completion: @escaping @Sendable (StorageError?) -> Void)
    /// Hands the syncs started since the last flush to the kernel (io_uring: one submission;
    /// the pool starts each at once). A caller that waits for a sync it started flushes first.
    func flush()
}

/// One fdatasync to run and whom to tell.
final class SyncJob: Sendable {
    let file: any StorageFile
    let completion: @Sendable (StorageError?) -> Void

    init(file: any StorageFile, completion: @escaping @Sendable (StorageError?) -> Void) {
        self.file = file
        self.completion = completion
    }
}
