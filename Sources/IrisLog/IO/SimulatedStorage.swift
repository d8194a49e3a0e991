import CIrisSystem
/// The `Storage` view of a `SimulatedDisk` for one process lifetime: after a power loss
/// every call fails with EIO, so a log that did not "survive" cannot touch the new world.
package struct SimulatedStorage: Storage {
    let disk: SimulatedDisk
    let generation: Int
    package var name: String { "simulated" }

    /// The storage of one process lifetime on `disk` (after a power loss, make a new one).
    package init(disk: SimulatedDisk) {
        self.disk = disk
        self.generation = disk.state.withLock { $0.generation }
    }

    /// Runs `body` with the disk locked, if this storage's lifetime is still current.
    private func withState<T>(_ operation: String, _ path: String, _ body: (inout SimulatedDiskState) throws(StorageError) -> T) throws(StorageError) -> T {
        try disk.state.withLock { (state) throws(StorageError) -> T in
            guard state.generation == generation else { throw StorageError(operation: operation, path: path, errno: 5) }
            return try body(&state)
        }
    }

    private func fail(_ operation: String, _ path: String, _ errno: Int32) -> StorageError {
        StorageError(operation: operation, path: path, errno: errno)
    }

    package func openFile(_ path: String, mode: FileOpenMode) throws(StorageError) -> any StorageFile {
        try withState("open", path) { (state) throws(StorageError) in
            let generation = state.generation
            if let id = state.entries[path] {
                return SimulatedFile(disk: disk, path: path, node: id, generation: generation)
            }
            guard mode == .create, state.directories.contains(SimulatedDiskState.parent(of: path)) else {
                throw fail("open", path, 2)
            }
            // The create may be the call an armed power loss strikes after: the handle is then stale.
            let id = state.create(path)
            return SimulatedFile(disk: disk, path: path, node: id, generation: generation)
        }
    }

    package func removeFile(_ path: String) throws(StorageError) {
        try withState("unlink", path) { (state) throws(StorageError) in
            guard state.remove(path) else { throw fail("unlink", path, 2) }
        }
    }

    package func renameFile(from: String, to: String) throws(StorageError) {
        try withState("rename", to) { (state) throws(StorageError) in
            guard state.rename(from: from, to: to) else { throw fail("rename", from, 2) }
        }
    }

    package func fileExists(_ path: String) -> Bool {
        disk.state.withLock { $0.entries[path] != nil || $0.directories.contains(SimulatedDiskState.normalized(path)) }
    }

    package func listDirectory(_ path: String) throws(StorageError) -> [String] {
        try withState("opendir", path) { (state) throws(StorageError) in
            let path = SimulatedDiskState.normalized(path)
            guard state.directories.contains(path) else { throw fail("opendir", path, 2) }
            return state.entries.keys.filter { SimulatedDiskState.parent(of: $0) == path }.map {
                String($0[$0.index(after: $0.lastIndex(of: "/")!)...])
            }
        }
    }

    package func createDirectory(_ path: String) throws(StorageError) {
        try withState("mkdir", path) { (state) throws(StorageError) in
            guard state.makeDirectory(path) else { throw fail("mkdir", path, 2) }
        }
    }

    package func syncDirectory(_ path: String) throws(StorageError) {
        try withState("fsync", path) { (state) throws(StorageError) in
            guard state.directories.contains(SimulatedDiskState.normalized(path)) else { throw fail("open", path, 2) }
            state.syncDirectory(path)
        }
    }

    package func lock(_ path: String) throws(StorageError) -> any DirectoryLock {
        try withState("flock", path) { (state) throws(StorageError) in
            guard !state.locks.contains(path) else { throw fail("flock", path, 11) }
            state.locks.insert(path)
            return SimulatedLock(disk: disk, path: path, generation: state.generation)
        }
    }

}

/// A handle on a simulated file; after a power loss it fails every call with EIO, like the
/// descriptors of a process that did not survive.
final class SimulatedFile: StorageFile {
    let disk: SimulatedDisk
    let path: String
    let node: Int
    let generation: Int

    init(disk: SimulatedDisk, path: String, node: Int, generation: Int) {
        self.disk = disk
        self.path = path
        self.node = node
        self.generation = generation
    }

    private func withNode<T>(_ operation: String, _ body: (inout SimulatedDiskState) throws(StorageError) -> T) throws(StorageError) -> T {
        try disk.state.withLock { (state) throws(StorageError) -> T in
            guard state.generation == generation, state.nodes[node] != nil else {
                throw StorageError(operation: operation, path: path, errno: 5)
            }
            return try body(&state)
        }
    }

    /// Nothing to prefetch: the simulated disk is memory.
    func prefetch(at position: Int, count: Int) {}

    func read(into buffer: UnsafeMutableRawBufferPointer, at position: Int) throws(StorageError) -> Int {
        try withNode("pread") { (state) throws(StorageError) in
            let current = state.nodes[node]!.current
            guard position < current.count else { return 0 }
            let count = min(buffer.count, current.count - position)
            current.withUnsafeBytes {
                UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count]).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: $0[position..<position + count]))
            }
            return count
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer, at position: Int) throws(StorageError) {
        try withNode("pwrite") { (state) throws(StorageError) in try state.write(node, bytes, at: position, path: path) }
    }

    func sync() throws(StorageError) {
        disk.waitForSyncGate(path)
        let thread = Self.callingThreadName()
        try withNode("fdatasync") { (state) throws(StorageError) in try state.sync(node, path: path, thread: thread) }
    }

    /// The calling thread's name, as `SimulatedDisk.syncsByThread` counts it.
    private static func callingThreadName() -> String {
        var name = [CChar](repeating: 0, count: 16)
        guard iris_get_thread_name(&name, name.count) == 0 else { return "?" }
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func size() throws(StorageError) -> Int { try withNode("fstat") { $0.nodes[node]!.current.count } }

    func truncate(to size: Int) throws(StorageError) {
        try withNode("ftruncate") { (state) throws(StorageError) in
            try state.resize(node, to: size, path: path)
            state.called(.resize)
        }
    }

    func allocate(size: Int) throws(StorageError) {
        try withNode("fallocate") { (state) throws(StorageError) in
            if state.nodes[node]!.current.count < size { try state.resize(node, to: size, path: path) }
            state.called(.allocate)
        }
    }
}

final class SimulatedLock: DirectoryLock {
    let disk: SimulatedDisk
    let path: String
    let generation: Int

    init(disk: SimulatedDisk, path: String, generation: Int) {
        self.disk = disk
        self.path = path
        self.generation = generation
    }

    func release() {
        disk.state.withLock { state in
            if state.generation == generation { state.locks.remove(path) }
        }
    }
}
