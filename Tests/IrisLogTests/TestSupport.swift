import Foundation
@testable import IrisLog

/// A fresh directory under the system temp folder, removed by `cleanup()`.
struct TemporaryDirectory {
    let path: String

    init() {
        var template = Array((NSTemporaryDirectory() + "iris-test-XXXXXX").utf8CString)
        let result = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(result != nil, "mkdtemp failed")
        path = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// The backends that must keep one contract. Real ones run in a temp directory.
enum Backend: String, CaseIterable, CustomStringConvertible {
    case uring, posix, simulated
    var description: String { rawValue }

    static let real: [Backend] = [.uring, .posix]
}

/// A log under test and what it lives on.
struct LogFixture {
    let directory: String
    var configuration: LogConfiguration
    let disk: SimulatedDisk?
    private let temporary: TemporaryDirectory?

    init(_ backend: Backend, configure: (inout LogConfiguration) -> Void = { _ in }) {
        var configuration = LogConfiguration()
        configuration.segmentSizeBytes = 1 << 20
        switch backend {
        case .uring: configuration.ioBackend = .uring
        case .posix: configuration.ioBackend = .posix
        case .simulated:
            let disk = SimulatedDisk()
            configuration.ioBackend = .simulated(disk)
        }
        configure(&configuration)
        // Small test segments need batches that fit in them.
        if configuration.frameBytesMax > configuration.segmentSizeBytes {
            configuration.batchBytesMax = configuration.segmentSizeBytes / 4
            configuration.recordBytesMax = min(configuration.recordBytesMax, configuration.batchBytesMax)
        }
        if case .simulated(let disk) = configuration.ioBackend {
            self.disk = disk
            self.temporary = nil
            self.directory = "/log"
        } else {
            self.disk = nil
            let temporary = TemporaryDirectory()
            self.temporary = temporary
            self.directory = temporary.path
        }
        self.configuration = configuration
    }

    func open(readOnly: Bool = false) throws(LogError) -> Log {
        var configuration = configuration
        configuration.readOnly = readOnly
        return try Log.open(directory: directory, configuration: configuration)
    }

    func path(_ name: String) -> String { directory + "/" + name }

    /// Bytes of a file, from the simulated disk or the real one.
    func contents(_ name: String) -> [UInt8] {
        if let disk { return disk.contents(of: path(name)) ?? [] }
        return (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path(name))))) ?? []
    }

    func setContents(_ name: String, _ bytes: [UInt8]) {
        if let disk { disk.setContents(of: path(name), to: bytes); return }
        try! Data(bytes).write(to: URL(fileURLWithPath: path(name)))
    }

    func remove(_ name: String) {
        if let disk { try! SimulatedStorage(disk: disk).removeFile(path(name)); return }
        try! FileManager.default.removeItem(atPath: path(name))
    }

    func exists(_ name: String) -> Bool {
        if let disk { return disk.contents(of: path(name)) != nil }
        return FileManager.default.fileExists(atPath: path(name))
    }

    func cleanup() { temporary?.cleanup() }
}

extension EncodedFrame {
    /// The frame's bytes as the log stores them at `baseOffset` after a frame with `previousCRC`.
    func sealed(baseOffset: Offset, previousCRC: UInt32) -> (bytes: [UInt8], crc: UInt32) {
        var frame = self
        frame.baseOffset = baseOffset
        var bytes = [UInt8](repeating: 0, count: paddedLength)
        let crc = bytes.withUnsafeMutableBytes { frame.copySealed(into: $0, previousCRC: previousCRC) }
        return (bytes, crc)
    }
}

/// Deterministic record bytes: the test can recompute what each offset must hold.
func payload(_ index: Int, size: Int? = nil) -> [UInt8] {
    let size = size ?? (index % 7) * 37
    return (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index &* 7) }
}

extension Log {
    /// Every readable record, in order.
    func readAll() throws(LogError) -> [LogRecord] {
        var records: [LogRecord] = []
        var next = firstOffset
        while next < nextOffset {
            let batch = try read(from: next, maxBytes: 1 << 20)
            records += batch
            next = batch.last!.offset.advanced(by: 1)
        }
        return records
    }
}
