#if canImport(Glibc)
import Glibc
#endif
import IrisLog

/// `NodeStorage` through POSIX calls (open, pread, pwrite, fdatasync, rename, fsync of the
/// directory), with IrisLog's system-call rules (`Syscall`).
package struct PosixNodeStorage: NodeStorage {
    /// POSIX storage of the real file system.
    package init() {}

    package func openFile(_ path: String) throws(StorageError) -> (any NodeFile)? {
        while true {
            let fd = open(path, O_RDWR | O_CLOEXEC)
            if fd >= 0 { return PosixNodeFile(path: path, descriptor: fd) }
            let error = errno
            if error == ENOENT { return nil }
            if error != EINTR { throw StorageError(operation: "open", path: path, errno: error) }
        }
    }

    package func createFile(_ path: String) throws(StorageError) -> any NodeFile {
        let fd = try Syscall.retrying("open", path) { open(path, O_RDWR | O_CLOEXEC | O_CREAT, 0o644) }
        return PosixNodeFile(path: path, descriptor: fd)
    }

    package func removeFileIfPresent(_ path: String) throws(StorageError) {
        if unlink(path) != 0 && errno != ENOENT { throw StorageError(operation: "unlink", path: path, errno: errno) }
    }

    package func renameFile(from: String, to: String) throws(StorageError) {
        _ = try Syscall.retrying("rename", to) { rename(from, to) }
    }

    package func syncDirectory(_ path: String) throws(StorageError) {
        try PosixStorage().syncDirectory(path)
    }
}

/// An open descriptor, closed when the last reference goes.
final class PosixNodeFile: NodeFile {
    let path: String
    let descriptor: Int32

    init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    func read(count: Int, at position: Int) throws(StorageError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let read = try bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(StorageError) in try Syscall.readFully(descriptor, into: buffer, at: position, path: path) }
        }.get()
        bytes.removeLast(count - read)
        return bytes
    }

    func write(_ bytes: [UInt8], at position: Int) throws(StorageError) {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(StorageError) in try Syscall.writeFully(descriptor, buffer, at: position, path: path) }
        }.get()
    }

    func sync() throws(StorageError) {
        if fdatasync(descriptor) != 0 { throw StorageError(operation: "fdatasync", path: path, errno: errno) }
    }

    func size() throws(StorageError) -> Int {
        var info = stat()
        _ = try Syscall.retrying("fstat", path) { fstat(descriptor, &info) }
        return Int(info.st_size)
    }
}
