import IrisLog

/// Everything one writer process runs with, derived from the run's seed and the cycle number,
/// and passed to the writer on its command line so both sides use the same configuration.
struct CycleSettings: Sendable {
    var cycle: Int
    var cycleSeed: UInt64
    var producers: Int
    var compression: Codec
    var io: String
    var segmentSizeBytes: Int
    var durability: Durability

    /// Limits sized for records up to 1 MiB plus their key and headers, and batches of
    /// up to 24 records of which one may be large.
    func configuration() -> LogConfiguration {
        var configuration = LogConfiguration()
        configuration.segmentSizeBytes = segmentSizeBytes
        configuration.recordBytesMax = Workload.valueBytesMax + 1024
        configuration.batchBytesMax = 3 << 20
        configuration.compression = compression
        configuration.compressionLevel = 1
        configuration.ioBackend = io == "posix" ? .posix : .uring
        configuration.durability = durability
        return configuration
    }

    var arguments: [String] {
        ["writer", "--cycle", String(cycle), "--cycle-seed", String(cycleSeed), "--producers", String(producers),
         "--compression", compression == .zstd ? "zstd" : "none", "--io", io,
         "--segment-size", String(segmentSizeBytes), "--durability", durability == .none ? "none" : "fsync"]
    }

    var summary: String {
        "\(compression == .zstd ? "zstd" : "plain"), \(durability == .none ? "durability none" : "fsync"), \(producers) producers"
    }
}
