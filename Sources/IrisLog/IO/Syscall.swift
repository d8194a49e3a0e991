#if canImport(Glibc)
import Glibc
#endif

/// The one system-call layer: every call made by the engine and its tools goes through here,
/// so the errno rules live in one place. EINTR retries; EBADF and EFAULT are bugs (trap);
/// anything else becomes a `StorageError` naming the call, the path and the errno.
package enum Syscall {
    /// Runs `call` until it does not fail with EINTR; a negative result becomes a `StorageError`.
    package static func retrying<T: BinaryInteger>(_ operation: String, _ path: String, _ call: () -> T) throws(StorageError) -> T {
        while true {
            let result = call()
            if result >= 0 { return result }
            let error = errno
            if error == EINTR { continue }
            precondition(error != EBADF && error != EFAULT, "\(operation) \(path): errno \(error) is a bug in Iris")
            throw StorageError(operation: operation, path: path, errno: error)
        }
    }

    /// Reads into all of `buffer` from `position` (pread), or up to the end of the file;
    /// returns the bytes read.
    package static func readFully(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at position: Int, path: String) throws(StorageError) -> Int {
        var done = 0
        while done < buffer.count {
            let count = try retrying("pread", path) { pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(position + done)) }
            if count == 0 { break }
            done += count
        }
        return done
    }

    /// Writes all of `bytes` at `position` (pwrite), or, with a nil position, at the file's
    /// current offset (write: pipes, terminals).
    package static func writeFully(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at position: Int?, path: String) throws(StorageError) {
        var done = 0
        while done < bytes.count {
            let count = try retrying(position == nil ? "write" : "pwrite", path) {
                let start = bytes.baseAddress! + done
                return if let position { pwrite(fd, start, bytes.count - done, off_t(position + done)) } else { write(fd, start, bytes.count - done) }
            }
            // A file never accepts nothing for a non-empty buffer; if it did, looping would spin.
            guard count > 0 else { throw StorageError(operation: position == nil ? "write" : "pwrite", path: path, errno: EIO) }
            done += count
        }
    }
}
