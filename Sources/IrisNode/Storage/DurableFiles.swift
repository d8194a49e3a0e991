import IrisLog

/// What the node's small durable files (the hard state and the cluster identity) need of
/// IrisLog's storage seam, on any backend: POSIX in `irisd`, the simulated disk in tests and
/// the simulator.
extension Storage {
    /// Opens the existing file `path` for reading and writing; nil when it does not exist.
    package func openExisting(_ path: String) throws(StorageError) -> (any StorageFile)? {
        guard fileExists(path) else { return nil }
        return try openFile(path, mode: .readWrite)
    }

    /// Writes `bytes` as the whole content of `path`, durably and atomically: the bytes go to
    /// `path + ".tmp"`, which is synced, renamed over `path`, and the directory synced. After a
    /// crash, `path` is missing (when it was) or whole, old or new: never partly written.
    package func replaceFile(_ path: String, with bytes: [UInt8]) throws(StorageError) {
        let temporary = path + ".tmp"
        if fileExists(temporary) { try removeFile(temporary) }
        let file = try openFile(temporary, mode: .create)
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
