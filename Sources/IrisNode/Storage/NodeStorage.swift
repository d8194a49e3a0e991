import IrisLog

/// The file operations the node's small durable files need (the hard state and the cluster
/// identity): the seam between those files and the POSIX calls or a simulated disk.
///
/// IrisLog's own `Storage` protocol is internal to IrisLog, so the node declares the few
/// calls it uses; `PosixNodeStorage` implements them with the same system-call rules as
/// IrisLog (EINTR retried, a failed fsync never retried), and tests adapt IrisLog's
/// simulated disk to it to cut power after any call.
package protocol NodeStorage: Sendable {
    /// Opens the existing file `path` for reading and writing; nil when it does not exist.
    func openFile(_ path: String) throws(StorageError) -> (any NodeFile)?
    /// Creates `path` (or opens it when it exists) for reading and writing.
    func createFile(_ path: String) throws(StorageError) -> any NodeFile
    /// Removes `path` when it exists; nothing when it does not.
    func removeFileIfPresent(_ path: String) throws(StorageError)
    /// Renames `from` to `to`, replacing `to` atomically.
    func renameFile(from: String, to: String) throws(StorageError)
    /// fsync of directory `path`: creates, renames and removes in it become durable.
    func syncDirectory(_ path: String) throws(StorageError)
}

/// One open file of a `NodeStorage`.
package protocol NodeFile: AnyObject, Sendable {
    /// Up to `count` bytes at `position`; fewer only at the end of the file.
    func read(count: Int, at position: Int) throws(StorageError) -> [UInt8]
    /// Writes all of `bytes` at `position`.
    func write(_ bytes: [UInt8], at position: Int) throws(StorageError)
    /// fdatasync: the file's data, and the size needed to read it, reach stable storage.
    /// Never retried on failure (the page cache cannot be trusted after one).
    func sync() throws(StorageError)
    /// The file's size in bytes.
    func size() throws(StorageError) -> Int
}

extension NodeStorage {
    /// Writes `bytes` as the whole content of `path`, durably and atomically: the bytes go to
    /// `path + ".tmp"`, which is synced, renamed over `path`, and the directory synced. After a
    /// crash, `path` is missing (when it was) or whole, old or new: never partly written.
    func replaceFile(_ path: String, with bytes: [UInt8]) throws(StorageError) {
        let temporary = path + ".tmp"
        try removeFileIfPresent(temporary)
        let file = try createFile(temporary)
        try file.write(bytes, at: 0)
        try file.sync()
        try renameFile(from: temporary, to: path)
        try syncDirectory(NodePath.parent(of: path))
    }
}

/// Path helpers for the node's files.
enum NodePath {
    /// The directory holding `path`: `/a/b` for `/a/b/c`, `/` for `/c`, `.` for `c`.
    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
