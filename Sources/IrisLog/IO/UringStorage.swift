/// Storage whose logs' fdatasyncs go through io_uring: the I/O engine's one ring, shared by
/// every such log of the process (`UringSyncRing`). Groups are written with plain pwrite:
/// ext4 cannot do buffered writes without blocking, so io_uring would hand each one to an
/// io-wq worker thread, which cost a context switch per group and ~7% more CPU per record
/// (perf, 1 KiB x 256 producers). Everything else (open, read, directory operations) is the
/// POSIX storage's.
struct UringStorage: Storage {
    var name: String { "io_uring" }
    private let posix = PosixStorage()

    /// Fails when io_uring cannot be set up here (old kernel, seccomp, `kernel.io_uring_disabled`).
    init() throws(StorageError) {
        _ = try IOEngine.shared.uringRing()
    }

    func openFile(_ path: String, mode: FileOpenMode) throws(StorageError) -> any StorageFile { try posix.openFile(path, mode: mode) }
    func removeFile(_ path: String) throws(StorageError) { try posix.removeFile(path) }
    func renameFile(from: String, to: String) throws(StorageError) { try posix.renameFile(from: from, to: to) }
    func fileExists(_ path: String) -> Bool { posix.fileExists(path) }
    func listDirectory(_ path: String) throws(StorageError) -> [String] { try posix.listDirectory(path) }
    func createDirectory(_ path: String) throws(StorageError) { try posix.createDirectory(path) }
    func syncDirectory(_ path: String) throws(StorageError) { try posix.syncDirectory(path) }
    func lock(_ path: String) throws(StorageError) -> any DirectoryLock { try posix.lock(path) }
}
