import ArgumentParser
import Foundation
import IrisLog

/// Crash-recovery harness (issue 3): a writer process appends from many producers and is
/// SIGKILLed at a random moment, over and over; after each kill the log is reopened and every
/// acknowledged record must be there, byte for byte, with nothing that was never appended.
@main
struct IrisCrash: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iris-crash",
        abstract: "Kill a writer process at random moments and check that recovery keeps every acknowledged record.",
        subcommands: [Run.self, Writer.self, SeedCorpus.self],
        defaultSubcommand: Run.self)
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run crash cycles (the default command).")

    @Option(help: "Crash cycles to run.")
    var cycles = 50
    @Option(help: "Seed of everything random: configuration, records, kill moments.")
    var seed: UInt64 = 1
    @Option(help: "Log directory (default: a fresh temporary one, removed after a passing run).")
    var dir: String?
    @Option(help: "I/O backend of the writer and the checks: posix (the log's default) or uring.")
    var io = "posix"
    @Option(help: "Concurrent producers in the writer.")
    var producers = 32
    @Option(help: "Segment size in bytes (small, so rolls are frequent).")
    var segmentSize = 4 << 20
    @Option(help: "Durability of the writer: fsync, none, or mixed (a quarter of cycles .none).")
    var durability = "fsync"
    @Option(help: "Start a fresh log every this many cycles.")
    var freshEvery = 25
    @Option(help: "Start a fresh log once the log holds more than this many MiB.")
    var maxLogMib = 200
    @Option(help: "Latest kill moment in milliseconds after the writer starts.")
    var maxDelayMs = 400
    @Flag(help: "Print the summary as JSON (and no per-cycle lines).")
    var json = false
    @Flag(help: "Print only the summary.")
    var quiet = false

    func validate() throws {
        guard ["uring", "posix"].contains(io) else { throw ValidationError("--io must be uring or posix") }
        guard ["fsync", "none", "mixed"].contains(durability) else { throw ValidationError("--durability must be fsync, none or mixed") }
        guard cycles >= 0, producers >= 1, freshEvery >= 1, maxDelayMs >= 1 else { throw ValidationError("counts must be positive") }
    }

    func run() async throws {
        let directory = dir ?? FileManager.default.temporaryDirectory.path + "/iris-crash-\(getpid())"
        var supervisor = Supervisor(
            seed: seed, cycles: cycles, directory: directory, io: io, producers: producers, segmentSizeBytes: segmentSize,
            durability: durability, freshEvery: freshEvery, maxLogBytes: maxLogMib << 20, maxDelayMilliseconds: maxDelayMs,
            quiet: quiet || json)
        if !json {
            print("iris-crash: \(cycles) cycles, seed \(seed), io \(io), \(producers) producers, segments of \(segmentSize) bytes, durability \(durability), log in \(directory)")
        }
        let totals: RunTotals
        do {
            totals = try await supervisor.run()
        } catch {
            let replay = "iris-crash --seed \(seed) --cycles \(error.cycle + 1) --io \(io) --producers \(producers) --segment-size \(segmentSize) --durability \(durability) --fresh-every \(freshEvery) --max-log-mib \(maxLogMib) --max-delay-ms \(maxDelayMs)"
            if json {
                print("{\"violation\":\(String(reflecting: error.message)),\"cycle\":\(error.cycle),\"seed\":\(seed)}")
            }
            FileHandle.standardError.write(Data("""
                VIOLATION at seed \(seed), cycle \(error.cycle): \(error.message)
                log kept in \(directory)
                replay (kill moments are timing-dependent, so it may take a few tries): \(replay)

                """.utf8))
            throw ExitCode(1)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(totals), as: UTF8.self))
        } else {
            print(String(format: """
                PASS: %d cycles, %d kills (%d before the writer opened the log), %d fresh logs, in %.1f s (slowest cycle %.2f s)
                  acknowledged records checked: %d (%.1f MiB); records verified by reading: %d (%.1f MiB)
                  unacknowledged appends found whole in the log: %d; intents announced: %d
                  torn tails cut: %d (%d non-zero bytes discarded); segment rolls seen: %d; compressed cycles: %d
                """, totals.cycles, totals.kills, totals.killsBeforeOpen, totals.freshStarts, totals.seconds, totals.slowestCycleSeconds,
                totals.acknowledgedRecordsChecked, Double(totals.acknowledgedBytes) / 1048576,
                totals.recordsVerified, Double(totals.bytesVerified) / 1048576,
                totals.unacknowledgedAppendsFound, totals.intentsAnnounced,
                totals.tornTails, totals.tornBytesDiscarded, totals.segmentRolls, totals.compressedCycles))
        }
        if dir == nil { try? FileManager.default.removeItem(atPath: directory) }
    }
}

struct Writer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "writer", abstract: "The process that gets killed (used by run).", shouldDisplay: false)

    @Option var dir: String
    @Option var cycle: Int
    @Option var cycleSeed: UInt64
    @Option var producers: Int
    @Option var compression: String
    @Option var io: String
    @Option var segmentSize: Int
    @Option var durability: String

    func run() async throws {
        let settings = CycleSettings(
            cycle: cycle, cycleSeed: cycleSeed, producers: producers, compression: compression == "zstd" ? .zstd : .none,
            io: io, segmentSizeBytes: segmentSize, durability: durability == "none" ? .none : .fsync)
        let status = await WriterProcess(settings: settings, directory: dir).run()
        throw ExitCode(status)
    }
}
