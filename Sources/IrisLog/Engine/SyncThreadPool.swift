/// The sync service of POSIX and simulated storage: each fdatasync is the file's own `sync()`,
/// run on the engine's pool of sync threads.
final class SyncThreadPool: SyncService {
    let pool: BlockingPool

    init(threadsMax: Int) {
        pool = BlockingPool(name: "iris-sync", threadsMax: threadsMax)
    }

    var threadsMax: Int { pool.threadsMax }

    func sync(_ file: any StorageFile, then completion: @escaping @Sendable (StorageError?) -> Void) {
        pool.run({ () -> StorageError? in
            do throws(StorageError) {
                try file.sync()
                return nil
            } catch {
                return error
            }
        }, then: completion)
    }

    func flush() {}
}
