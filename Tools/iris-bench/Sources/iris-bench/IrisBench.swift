import ArgumentParser

/// iris-bench: whole-workload benchmarks of IrisLog against the raw disk, SQLite and RocksDB.
/// Every subcommand prints a table and, with --json, one JSON object as its last line.
@main
struct IrisBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iris-bench",
        abstract: "Benchmarks for IrisLog: the disk, durable appends (iris, sqlite, rocksdb), sequential reads, recovery.",
        subcommands: [Disk.self, Append.self, Read.self, Recover.self, RecoverWriter.self])
}

