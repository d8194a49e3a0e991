#if canImport(Glibc)
import Glibc
#endif

/// A failed system call on a TLS directory's file: the call, the path and the errno.
struct TLSFileFailure: Error, Equatable {
    /// The system call, e.g. `open`.
    var call: String
    /// The file or directory it was given.
    var path: String
    /// What it failed with.
    var errno: Int32

    /// "open /etc/iris/ca.pem: Permission denied (errno 13)".
    var description: String {
        "\(call) \(path): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// The few file operations a TLS directory needs, on plain POSIX calls: certificates and keys are
/// small files read once at start and written once by `irisd certs`, so they stay out of IrisLog's
/// storage layer. EINTR retries; every other failure names the call and the path.
enum TLSFiles {
    /// Certificate and key files larger than this are refused unread: a PEM bundle of a few
    /// certificates is a few KiB, so anything near this is not one.
    static let fileBytesMax = 1 << 20

    /// Whether anything exists at `path`.
    static func exists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0
    }

    /// The whole file; a file over `fileBytesMax` reads as `.tooLarge`. A missing file throws
    /// with errno ENOENT.
    static func read(_ path: String) throws(TLSFileFailure) -> ReadResult {
        let fd = try retrying("open", path) { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = try retrying("read", path) { chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) } }
            if count == 0 { return .contents(bytes) }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > fileBytesMax { return .tooLarge }
        }
    }

    /// What `read` found.
    enum ReadResult: Equatable {
        /// The file's bytes.
        case contents([UInt8])
        /// The file is larger than `fileBytesMax`.
        case tooLarge
    }

    /// Creates the directory `path` (mode 0700) unless it exists already as a directory.
    static func createDirectory(_ path: String) throws(TLSFileFailure) {
        if mkdir(path, 0o700) == 0 { return }
        let error = errno
        var status = stat()
        if error == EEXIST, stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR { return }
        throw TLSFileFailure(call: "mkdir", path: path, errno: error == EEXIST ? ENOTDIR : error)
    }

    /// Replaces `path` with `bytes` so that a crash leaves the old file or the new one: writes a
    /// temporary file created with `mode` (so a key is never readable by others, not even
    /// briefly), syncs it, renames it over `path` and syncs the directory.
    static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t, directory: String) throws(TLSFileFailure) {
        let temporary = path + ".tmp"
        _ = unlink(temporary)
        let fd = try retrying("open", temporary) { open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode) }
        var written = 0
        do {
            while written < bytes.count {
                let count = try retrying("write", temporary) {
                    bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
                }
                written += count
            }
            _ = try retrying("fchmod", temporary) { fchmod(fd, mode) }
            _ = try retrying("fsync", temporary) { fsync(fd) }
        } catch {
            close(fd)
            _ = unlink(temporary)
            throw error
        }
        close(fd)
        _ = try retrying("rename", temporary) { rename(temporary, path) }
        let directoryFD = try retrying("open", directory) { open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { close(directoryFD) }
        _ = try retrying("fsync", directory) { fsync(directoryFD) }
    }

    /// Runs `call` until it does not fail with EINTR; a negative result becomes a `TLSFileFailure`.
    private static func retrying<T: BinaryInteger>(_ call: String, _ path: String, _ body: () -> T) throws(TLSFileFailure) -> T {
        while true {
            let result = body()
            if result >= 0 { return result }
            let error = errno
            if error == EINTR { continue }
            throw TLSFileFailure(call: call, path: path, errno: error)
        }
    }
}
