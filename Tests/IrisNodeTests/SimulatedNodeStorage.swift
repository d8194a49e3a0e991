@testable import IrisLog
@testable import IrisNode

/// `NodeStorage` on IrisLog's simulated disk (through its internal `SimulatedStorage`, hence
/// `@testable`): power loss after any call, torn and lost unsynced writes, lost directory
/// entries.
struct SimulatedNodeStorage: NodeStorage {
    let storage: SimulatedStorage

    init(disk: SimulatedDisk) { storage = SimulatedStorage(disk: disk) }

    func openFile(_ path: String) throws(StorageError) -> (any NodeFile)? {
        guard storage.fileExists(path) else { return nil }
        return SimulatedNodeFile(file: try storage.openFile(path, mode: .readWrite))
    }

    func createFile(_ path: String) throws(StorageError) -> any NodeFile {
        SimulatedNodeFile(file: try storage.openFile(path, mode: .create))
    }

    func removeFileIfPresent(_ path: String) throws(StorageError) {
        if storage.fileExists(path) { try storage.removeFile(path) }
    }

    func renameFile(from: String, to: String) throws(StorageError) { try storage.renameFile(from: from, to: to) }

    func syncDirectory(_ path: String) throws(StorageError) { try storage.syncDirectory(path) }
}

final class SimulatedNodeFile: NodeFile {
    let file: any StorageFile

    init(file: any StorageFile) { self.file = file }

    func read(count: Int, at position: Int) throws(StorageError) -> [UInt8] { try file.read(count: count, at: position) }
    func write(_ bytes: [UInt8], at position: Int) throws(StorageError) { try file.write(bytes, at: position) }
    func sync() throws(StorageError) { try file.sync() }
    func size() throws(StorageError) -> Int { try file.size() }
}

/// A simulated disk with the durable directory `/data`.
func diskWithDataDirectory() -> SimulatedDisk {
    let disk = SimulatedDisk()
    disk.createDurableDirectory("/data")
    return disk
}
