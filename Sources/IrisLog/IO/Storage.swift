/// An operating-system error from a storage call, with the call and the path it was for.
package struct StorageError: Error, Hashable, Sendable, CustomStringConvertible {
    package var operation: String
    package var path: String
    package var errno: Int32

    package init(operation: String, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    package var description: String { "\(operation) \(path): \(StorageError.describe(errno)) (errno \(errno))" }

    static func describe(_ errno: Int32) -> String {
        switch errno {
        case 5: "input/output error"
        case 28: "no space left on device"
        case 2: "no such file or directory"
        case 11: "resource temporarily unavailable"
        case 13: "permission denied"
        case 30: "read-only file system"
        default: "error"
        }
    }
}

/// One open file. Reads may come from any thread; writes, syncs and size changes come only
/// from the log's writer and its syncer (or from recovery, before the writer starts).
package protocol StorageFile: AnyObject, Sendable {
    var path: String { get }
    /// Reads up to `buffer.count` bytes at `position`; returns fewer only at end of file.
    func read(into buffer: UnsafeMutableRawBufferPointer, at position: Int) throws(StorageError) -> Int
    /// Writes all of `bytes` at `position`.
    func write(_ bytes: UnsafeRawBufferPointer, at position: Int) throws(StorageError)
    /// fdatasync: the file's data (and the size needed to read it) reach stable storage.
    func sync() throws(StorageError)
    func size() throws(StorageError) -> Int
    /// Sets the file size; bytes past the old end read as zero.
    func truncate(to size: Int) throws(StorageError)
    /// Reserves space so that writes below `size` cannot fail with ENOSPC; reads zero where unwritten.
    func allocate(size: Int) throws(StorageError)
    /// Starts reading `count` bytes at `position` into the page cache in the background, for a
    /// read that will come soon; returns at once. A hint: it may do nothing.
    func prefetch(at position: Int, count: Int)
}

package enum FileOpenMode: Sendable {
    case readOnly, readWrite, create
}

/// A directory lock that holds until released or the process exits.
package protocol DirectoryLock: AnyObject, Sendable {
    func release()
}

/// The file system as the log uses it: the seam between the engine and io_uring, POSIX
/// calls or the simulated disk.
package protocol Storage: Sendable {
    /// Human name for logs and metrics: "io_uring", "posix" or "simulated".
    var name: String { get }
    /// Opens a file: `.readOnly` (O_RDONLY, so read-only logs work on read-only mounts),
    /// `.readWrite`, or `.create` (read-write, created when missing).
    func openFile(_ path: String, mode: FileOpenMode) throws(StorageError) -> any StorageFile
    func removeFile(_ path: String) throws(StorageError)
    func renameFile(from: String, to: String) throws(StorageError)
    func fileExists(_ path: String) -> Bool
    /// Names (not paths) of the entries in `path`.
    func listDirectory(_ path: String) throws(StorageError) -> [String]
    func createDirectory(_ path: String) throws(StorageError)
    /// fsync of the directory, making creates, renames and removes in it durable.
    func syncDirectory(_ path: String) throws(StorageError)
    /// Takes an exclusive lock on `path` (a lock file), failing at once if it is held.
    func lock(_ path: String) throws(StorageError) -> any DirectoryLock
}

extension StorageFile {
    /// Reads exactly `count` bytes at `position`, or fewer at end of file, into a new array
    /// that is not zero-filled first (the read fills it).
    package func read(count: Int, at position: Int) throws(StorageError) -> [UInt8] {
        var failure: StorageError? = nil
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(StorageError) {
                initialized = try self.read(into: UnsafeMutableRawBufferPointer(buffer), at: position)
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Writes all of `bytes` at `position`.
    package func write(_ bytes: [UInt8], at position: Int) throws(StorageError) {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(StorageError) in try write(buffer, at: position) }
        }.get()
    }
}
