import CURing
#if canImport(Glibc)
import Glibc
#endif

/// Storage that writes groups through io_uring: the group's write and one
/// `IORING_FSYNC_DATASYNC` go to the kernel as a linked chain in one submission.
/// Everything else (open, read, directory operations) is the POSIX storage's.
struct UringStorage: Storage {
    var name: String { "io_uring" }
    private let posix = PosixStorage()
    let queueDepth: UInt32

    /// Fails when io_uring cannot be set up here (old kernel, seccomp, `kernel.io_uring_disabled`).
    init(queueDepth: UInt32 = 64) throws {
        self.queueDepth = queueDepth
        _ = try UringGroupWriter(queueDepth: queueDepth)
    }

    func openFile(_ path: String, mode: FileOpenMode) throws -> any StorageFile { try posix.openFile(path, mode: mode) }
    func removeFile(_ path: String) throws { try posix.removeFile(path) }
    func renameFile(from: String, to: String) throws { try posix.renameFile(from: from, to: to) }
    func fileExists(_ path: String) -> Bool { posix.fileExists(path) }
    func listDirectory(_ path: String) throws -> [String] { try posix.listDirectory(path) }
    func createDirectory(_ path: String) throws { try posix.createDirectory(path) }
    func syncDirectory(_ path: String) throws { try posix.syncDirectory(path) }
    func lock(_ path: String) throws -> any DirectoryLock { try posix.lock(path) }
    func makeGroupWriter() throws -> any GroupWriter { try UringGroupWriter(queueDepth: queueDepth) }
}

/// One io_uring ring, used only by the log's writer thread.
final class UringGroupWriter: GroupWriter {
    private var ring = io_uring()

    init(queueDepth: UInt32) throws {
        let result = io_uring_queue_init(queueDepth, &ring, 0)
        guard result == 0 else { throw StorageError(operation: "io_uring_queue_init", path: "", errno: -result) }
    }

    deinit { io_uring_queue_exit(&ring) }

    func write(_ bytes: UnsafeRawBufferPointer, to file: any StorageFile, at position: Int, sync: Bool) throws {
        guard let posixFile = file as? PosixFile else {
            preconditionFailure("io_uring storage got a file it did not open")
        }
        let fd = posixFile.descriptor
        guard let writeEntry = io_uring_get_sqe(&ring) else { preconditionFailure("io_uring submission queue full") }
        io_uring_prep_write(writeEntry, fd, bytes.baseAddress, UInt32(bytes.count), UInt64(position))
        writeEntry.pointee.user_data = 1
        var expected: UInt32 = 1
        if sync {
            writeEntry.pointee.flags |= IRIS_IOSQE_IO_LINK
            guard let syncEntry = io_uring_get_sqe(&ring) else { preconditionFailure("io_uring submission queue full") }
            io_uring_prep_fsync(syncEntry, fd, UInt32(IORING_FSYNC_DATASYNC))
            syncEntry.pointee.user_data = 2
            expected = 2
        }
        let submitted = io_uring_submit_and_wait(&ring, expected)
        guard submitted >= 0 else { throw StorageError(operation: "io_uring_submit", path: file.path, errno: -submitted) }

        var written: Int32 = -1
        var synced: Int32 = sync ? -1 : 0
        var reaped: UInt32 = 0
        while reaped < expected {
            var completion: UnsafeMutablePointer<io_uring_cqe>? = nil
            let waited = io_uring_wait_cqe(&ring, &completion)
            if waited == -EINTR { continue }
            guard waited == 0, let completion else {
                throw StorageError(operation: "io_uring_wait_cqe", path: file.path, errno: -waited)
            }
            if completion.pointee.user_data == 1 { written = completion.pointee.res } else { synced = completion.pointee.res }
            io_uring_cqe_seen(&ring, completion)
            reaped += 1
        }
        if written < 0 { throw StorageError(operation: "io_uring write", path: file.path, errno: -written) }
        if Int(written) < bytes.count {
            // A short write breaks the link, so the sync was cancelled: finish both the plain way.
            try file.write(UnsafeRawBufferPointer(rebasing: bytes[Int(written)...]), at: position + Int(written))
            if sync { try file.sync() }
            return
        }
        if synced < 0 { throw StorageError(operation: "io_uring fdatasync", path: file.path, errno: -synced) }
    }
}
