#if canImport(Glibc)
import Glibc
#endif
import IrisLog

/// An I/O failure of an inspection tool: the call, the path and the errno, as one line.
package struct InspectionIOError: Error, Sendable, CustomStringConvertible {
    package var operation: String
    package var path: String
    package var errno: Int32

    package var description: String {
        let message = String(cString: strerror(errno))
        return "\(operation) \(path) failed: \(message) (errno \(errno))"
    }

    init(_ error: StorageError) {
        operation = error.operation
        path = error.path
        errno = error.errno
    }

    init(operation: String, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }
}

/// File access for the inspection tools, failing with `InspectionError.io`. Reads are
/// read-only (O_RDONLY): the tools must work on logs they may not write (another user's, a
/// read-only mount) and never take the writer's lock.
enum InspectionFiles {
    static func readWhole(_ path: String) throws(InspectionError) -> [UInt8] {
        let fd = try openReadOnly(path)
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io(InspectionIOError(operation: "fstat", path: path, errno: errno)) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .io(InspectionIOError(operation: "read", path: path, errno: EISDIR)) }
        return try read(fd, path: path, count: Int(info.st_size), at: 0)
    }

    static func openReadOnly(_ path: String) throws(InspectionError) -> Int32 {
        do { return try Syscall.retrying("open", path) { open(path, O_RDONLY | O_CLOEXEC) } } catch { throw .io(InspectionIOError(error)) }
    }

    /// Reads up to `count` bytes at `position`; fewer only at end of file.
    static func read(_ fd: Int32, path: String, count: Int, at position: Int) throws(InspectionError) -> [UInt8] {
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        let read = bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(StorageError) in try Syscall.readFully(fd, into: buffer, at: position, path: path) }
        }
        let done: Int
        do { done = try read.get() } catch { throw .io(InspectionIOError(error)) }
        if done < count { bytes.removeLast(count - done) }
        return bytes
    }

    static func size(_ fd: Int32, path: String) throws(InspectionError) -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io(InspectionIOError(operation: "fstat", path: path, errno: errno)) }
        return Int(info.st_size)
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func list(_ directory: String) throws(InspectionError) -> [String] {
        do {
            return try PosixStorage().listDirectory(directory)
        } catch {
            throw .io(InspectionIOError(error))
        }
    }

    /// Writes `bytes` to a new file at `path` (failing if it exists) and syncs it.
    static func createFile(_ path: String, bytes: [UInt8]) throws(InspectionError) {
        do {
            let fd = try Syscall.retrying("create", path) { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
            defer { close(fd) }
            try bytes.withUnsafeBytes { buffer in
                Result { () throws(StorageError) in try Syscall.writeFully(fd, buffer, at: 0, path: path) }
            }.get()
            _ = try Syscall.retrying("fsync", path) { fsync(fd) }
        } catch { throw .io(InspectionIOError(error)) }
    }

    static func rename(from: String, to: String) throws(InspectionError) {
        if Glibc.rename(from, to) != 0 { throw .io(InspectionIOError(operation: "rename", path: "\(from) -> \(to)", errno: errno)) }
    }

    static func syncDirectory(_ path: String) throws(InspectionError) {
        do { try PosixStorage().syncDirectory(path) } catch {
            throw .io(InspectionIOError(error))
        }
    }

    static func unixTime() -> Int { Int(time(nil)) }
}

/// The writer lock of a log directory, taken by tools that change files (repair, index
/// rebuild) so that no writer runs meanwhile.
package final class InspectionLock: Sendable {
    private let lock: any DirectoryLock

    /// Takes the lock or throws `.locked` / an I/O error.
    package init(directory: String) throws(InspectionError) {
        do {
            lock = try PosixStorage().lock(directory + "/" + SegmentFileName.lock)
        } catch {
            if error.errno == EWOULDBLOCK { throw .locked(directory: directory) }
            throw .io(InspectionIOError(error))
        }
    }

    package func release() { lock.release() }
}

/// Why an inspection tool could not do its job at all (as opposed to findings about the log).
package enum InspectionError: Error, Sendable, CustomStringConvertible {
    case io(InspectionIOError)
    case locked(directory: String)
    case notADirectory(String)
    /// The directory holds neither a segment file nor a checkpoint.
    case notALog(String)
    case offsetBeforeStart(requested: UInt64, first: UInt64)
    /// The data needed is damaged; `file` and `position` say where.
    case corrupt(file: String, position: Int, reason: String)

    package var description: String {
        switch self {
        case .io(let error): error.description
        case .locked(let directory): "\(directory) is open for writing by another process (its iris.lock is held)"
        case .notADirectory(let path): "\(path) is not a log directory (no such directory)"
        case .notALog(let path): "\(path) holds no Iris log (no segment file, no checkpoint); name the log's directory"
        case .offsetBeforeStart(let requested, let first): "offset \(requested) is before the log's first offset \(first)"
        case .corrupt(let file, let position, let reason): "corruption in \(file) at byte \(position): \(reason)"
        }
    }

    /// 1 for damaged data, 2 for usage and I/O problems.
    package var exitCode: Int32 {
        if case .corrupt = self { return 1 }
        return 2
    }
}
