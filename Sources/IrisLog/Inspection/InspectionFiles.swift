#if canImport(Glibc)
import Glibc
#endif

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

/// Read-only (O_RDONLY) file access for the inspection tools, which must work on logs they
/// may not write (another user's, a read-only mount) and never take the writer's lock.
enum InspectionFiles {
    static func readWhole(_ path: String) throws(InspectionIOError) -> [UInt8] {
        let fd = try openReadOnly(path)
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw InspectionIOError(operation: "fstat", path: path, errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw InspectionIOError(operation: "read", path: path, errno: EISDIR) }
        return try read(fd, path: path, count: Int(info.st_size), at: 0)
    }

    static func openReadOnly(_ path: String) throws(InspectionIOError) -> Int32 {
        while true {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            throw InspectionIOError(operation: "open", path: path, errno: errno)
        }
    }

    /// Reads up to `count` bytes at `position`; fewer only at end of file.
    static func read(_ fd: Int32, path: String, count: Int, at position: Int) throws(InspectionIOError) -> [UInt8] {
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        var failure: Int32 = 0
        bytes.withUnsafeMutableBytes { buffer in
            while done < count {
                let result = pread(fd, buffer.baseAddress! + done, count - done, off_t(position + done))
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if result == 0 { break }
                done += result
            }
        }
        if failure != 0 { throw InspectionIOError(operation: "pread", path: path, errno: failure) }
        if done < count { bytes.removeLast(count - done) }
        return bytes
    }

    static func size(_ fd: Int32, path: String) throws(InspectionIOError) -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw InspectionIOError(operation: "fstat", path: path, errno: errno) }
        return Int(info.st_size)
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func list(_ directory: String) throws(InspectionIOError) -> [String] {
        do {
            return try PosixStorage().listDirectory(directory)
        } catch let error as StorageError {
            throw InspectionIOError(error)
        } catch {
            throw InspectionIOError(operation: "opendir", path: directory, errno: EIO)
        }
    }

    /// Writes `bytes` to a new file at `path` (failing if it exists) and syncs it.
    static func createFile(_ path: String, bytes: [UInt8]) throws(InspectionIOError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw InspectionIOError(operation: "create", path: path, errno: errno) }
        defer { close(fd) }
        var done = 0
        var failure: Int32 = 0
        bytes.withUnsafeBytes { buffer in
            while done < buffer.count {
                let result = write(fd, buffer.baseAddress! + done, buffer.count - done)
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                done += result
            }
        }
        if failure != 0 { throw InspectionIOError(operation: "write", path: path, errno: failure) }
        guard fsync(fd) == 0 else { throw InspectionIOError(operation: "fsync", path: path, errno: errno) }
    }

    static func rename(from: String, to: String) throws(InspectionIOError) {
        if Glibc.rename(from, to) != 0 { throw InspectionIOError(operation: "rename", path: "\(from) -> \(to)", errno: errno) }
    }

    static func syncDirectory(_ path: String) throws(InspectionIOError) {
        do { try PosixStorage().syncDirectory(path) } catch let error as StorageError {
            throw InspectionIOError(error)
        } catch {
            throw InspectionIOError(operation: "fsync", path: path, errno: EIO)
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
        } catch let error as StorageError where error.errno == EWOULDBLOCK {
            throw .locked(directory: directory)
        } catch let error as StorageError {
            throw .io(InspectionIOError(error))
        } catch {
            throw .io(InspectionIOError(operation: "flock", path: directory, errno: EIO))
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
