#if canImport(Glibc)
import Glibc
#endif
import CIrisSystem
import Synchronization

/// Storage through plain POSIX calls: pread, pwrite, fdatasync, fallocate, flock.
/// Also the base of the io_uring storage, which changes only how groups are written.
package struct PosixStorage: Storage {
    /// Plain POSIX storage; also what the inspection tools list, sync and lock directories with.
    package init() {}

    package var name: String { "posix" }

    package func openFile(_ path: String, mode: FileOpenMode) throws(StorageError) -> any StorageFile {
        let flags = switch mode {
        case .readOnly: O_RDONLY | O_CLOEXEC
        case .readWrite: O_RDWR | O_CLOEXEC
        case .create: O_RDWR | O_CLOEXEC | O_CREAT
        }
        let fd = try Syscall.retrying("open", path) { open(path, flags, 0o644) }
        return PosixFile(path: path, descriptor: fd)
    }

    package func removeFile(_ path: String) throws(StorageError) {
        _ = try Syscall.retrying("unlink", path) { unlink(path) }
    }

    package func renameFile(from: String, to: String) throws(StorageError) {
        _ = try Syscall.retrying("rename", to) { rename(from, to) }
    }

    package func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The names in directory `path`, without `.` and `..`.
    package func listDirectory(_ path: String) throws(StorageError) -> [String] {
        guard let directory = opendir(path) else { throw StorageError(operation: "opendir", path: path, errno: errno) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    package func createDirectory(_ path: String) throws(StorageError) {
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw StorageError(operation: "mkdir", path: path, errno: errno)
        }
    }

    /// fsync of directory `path`, so that creates, renames and unlinks in it are durable.
    package func syncDirectory(_ path: String) throws(StorageError) {
        let fd = try Syscall.retrying("open", path) { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(fd) }
        _ = try Syscall.retrying("fsync", path) { fsync(fd) }
    }

    /// A lock just released can still look held for a moment: a thread of this process that
    /// forks (to spawn a program) gives the child a copy of every descriptor, the lock's among
    /// them, until the child's exec closes it (O_CLOEXEC). So "held" is retried for up to
    /// `lockRetryMilliseconds` before it is reported.
    static let lockRetryMilliseconds = 200

    /// Takes the exclusive lock on file `path` (created if missing), held until released.
    package func lock(_ path: String) throws(StorageError) -> any DirectoryLock {
        let fd = try Syscall.retrying("open", path) { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
        var waited = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let error = errno
            guard error == EINTR || (error == EWOULDBLOCK && waited < PosixStorage.lockRetryMilliseconds) else {
                close(fd)
                throw StorageError(operation: "flock", path: path, errno: error)
            }
            if error == EWOULDBLOCK {
                usleep(5_000)
                waited += 5
            }
        }
        return PosixLock(descriptor: fd)
    }
}

/// An open file descriptor; closed when the last reference goes, so a reader holding a
/// segment keeps its descriptor valid even after retention deleted the file.
final class PosixFile: StorageFile {
    let path: String
    let descriptor: Int32

    init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    func read(into buffer: UnsafeMutableRawBufferPointer, at position: Int) throws(StorageError) -> Int {
        try Syscall.readFully(descriptor, into: buffer, at: position, path: path)
    }

    func write(_ bytes: UnsafeRawBufferPointer, at position: Int) throws(StorageError) {
        try Syscall.writeFully(descriptor, bytes, at: position, path: path)
    }

    func sync() throws(StorageError) {
        // Never retried on failure: after a failed fdatasync the page cache cannot be trusted.
        if fdatasync(descriptor) != 0 { throw StorageError(operation: "fdatasync", path: path, errno: errno) }
    }

    func prefetch(at position: Int, count: Int) {
        _ = posix_fadvise(descriptor, off_t(position), off_t(count), Int32(POSIX_FADV_WILLNEED))
    }

    func size() throws(StorageError) -> Int {
        var info = stat()
        _ = try Syscall.retrying("fstat", path) { fstat(descriptor, &info) }
        return Int(info.st_size)
    }

    func truncate(to size: Int) throws(StorageError) {
        _ = try Syscall.retrying("ftruncate", path) { ftruncate(descriptor, off_t(size)) }
    }

    func allocate(size: Int) throws(StorageError) {
        let error = iris_fallocate(descriptor, 0, Int64(size))
        if error == 0 { return }
        // File systems without fallocate (EOPNOTSUPP) get a sparse file instead.
        guard error == EOPNOTSUPP else { throw StorageError(operation: "fallocate", path: path, errno: error) }
        if try self.size() < size { try truncate(to: size) }
    }
}

final class PosixLock: DirectoryLock {
    private let descriptor: Mutex<Int32?>
    init(descriptor: Int32) { self.descriptor = Mutex(descriptor) }
    deinit { release() }

    func release() {
        descriptor.withLock { descriptor in
            if let fd = descriptor { close(fd) }
            descriptor = nil
        }
    }
}
