import IrisLog
import Logging

/// Power loss on the simulated disk, one seed at a time. Each seed picks one of two kinds of
/// lives and repeats them: power fails (everything not made durable is kept or lost, sector
/// by sector and directory entry by directory entry), the log reopens through recovery, its
/// contents are checked, and the next life goes on from there.
/// - `.fsync` lives (a third of the seeds): concurrent producers append until power fails
///   (`ConcurrentLife`); every acknowledged record must survive.
/// - `.none` lives: one task uses the log as a replica does (`SequentialLife`): appends,
///   sealed frames, `sync()`, truncations, retention, with power failing after a seeded
///   number of mutating storage calls, so inside any of them; `LogModel` holds the exact
///   expectations.
public struct PowerLossSimulation: Sendable {
    /// When true, the log directory is created durably before the first open, so a log that
    /// loses it (SPEC.md §7: the engine must fsync the parent after `mkdir`) is not exercised.
    public var preparedDirectory: Bool
    /// Receives one line per operation, power loss and reopen, to replay a seed by hand.
    public var trace: (@Sendable (String) -> Void)?

    /// A simulation; by default the directory is left to the engine to create and nothing is traced.
    public init(preparedDirectory: Bool = false, trace: (@Sendable (String) -> Void)? = nil) {
        self.preparedDirectory = preparedDirectory
        self.trace = trace
    }

    static let directory = "/log"

    /// Thousands of expected I/O failures would drown the output.
    static let quiet = Logger(label: "iris.power-loss", factory: { _ in SwiftLogNoOpLogHandler() })

    /// What one seed did.
    public struct Outcome: Sendable {
        /// A description of the broken promise, with the seed; nil when all held.
        public var violation: String?
        /// Records acknowledged by appends that returned.
        public var acknowledged = 0
        /// Durable records found intact, summed over the checks after each reopen (`.none` lives).
        public var durableChecked = 0
        /// Power losses struck (one per life).
        public var powerLosses = 0
        /// Opens that cut a torn tail.
        public var tornTails = 0
        /// Truncations started (`truncate(from:)`, `truncate(after:)`), completed or cut short by power loss.
        public var truncations = 0
        /// `deleteSegments(before:)` and `applyRetention()` calls started.
        public var retentions = 0
        /// Power losses that struck inside a truncation.
        public var crashesInTruncation = 0
        /// Lives run with `Durability.none` by one task.
        public var sequentialLives = 0
        /// Appends acknowledged to producer threads in `appendBlocking` (`.fsync` lives).
        public var blockingAppends = 0

        /// No violation and every count zero.
        public init() {}

        /// Adds another seed's counts (its violation is not carried over).
        public mutating func add(_ other: Outcome) {
            acknowledged += other.acknowledged
            durableChecked += other.durableChecked
            powerLosses += other.powerLosses
            tornTails += other.tornTails
            truncations += other.truncations
            retentions += other.retentions
            crashesInTruncation += other.crashesInTruncation
            sequentialLives += other.sequentialLives
            blockingAppends += other.blockingAppends
        }
    }

    /// Runs one seed. Deterministic in its choices (configuration, operations, crash points,
    /// what survives); in `.fsync` lives the interleaving of producers is the scheduler's.
    public func run(seed: UInt64) async -> Outcome {
        var random = SplitMix64(seed: seed)
        let disk = SimulatedDisk()
        if preparedDirectory { disk.createDurableDirectory(Self.directory) }
        let sequential = random.next() % 3 != 0
        let configuration = Self.configuration(disk: disk, sequential: sequential, random: &random)
        let open = { try Log.open(directory: Self.directory, configuration: configuration, logger: Self.quiet) }

        var outcome = Outcome()
        var model = LogModel()
        let acknowledged = Locked<[Offset: [UInt8]]>([:])
        let lives = 1 + Int(random.next() % 3)
        for life in 0...lives {
            let log: Log
            do { log = try open() } catch {
                outcome.violation = "seed \(seed) life \(life): open failed after power loss: \(error)"
                return outcome
            }
            if log.recoveryReport.tornTail != nil { outcome.tornTails += 1 }
            trace?("life \(life) opened: \(log.firstOffset)..<\(log.nextOffset), torn tail \(String(describing: log.recoveryReport.tornTail))")
            let violation: String?
            if sequential {
                let (found, checked) = model.checkRecovered(log)
                violation = found
                outcome.durableChecked += checked
            } else {
                violation = ConcurrentLife.check(log, acknowledged: acknowledged.withLock { $0 })
            }
            if let violation {
                outcome.violation = "seed \(seed) life \(life): \(violation)"
                await log.close()
                return outcome
            }
            if life == lives {
                await log.close()
                break
            }
            if sequential {
                var sequentialLife = SequentialLife(
                    life: life, disk: disk, usesRetentionPolicy: configuration.retentionBytesMax != nil,
                    random: SplitMix64(seed: random.next()), open: open, trace: trace)
                let report = await sequentialLife.run(log: log, model: &model)
                outcome.sequentialLives += 1
                outcome.truncations += report.truncations
                outcome.retentions += report.retentions
                outcome.acknowledged += report.acknowledged
                outcome.durableChecked += report.durableChecked
                if case .truncate = report.crashedIn { outcome.crashesInTruncation += 1 }
                await report.log.close()
                if let violation = report.violation {
                    outcome.violation = "seed \(seed) \(violation)"
                    return outcome
                }
            } else {
                outcome.blockingAppends += await ConcurrentLife(life: life, random: &random)
                    .run(log: log, disk: disk, acknowledged: acknowledged)
                await log.close()
            }
            outcome.powerLosses += 1
        }
        if !sequential { outcome.acknowledged = acknowledged.withLock { $0.count } }
        return outcome
    }

    /// Small segments so that rolls are frequent; zero-ahead off, short or whole-segment;
    /// `.none` with a size policy in some seeds.
    static func configuration(disk: SimulatedDisk, sequential: Bool, random: inout SplitMix64) -> LogConfiguration {
        var configuration = LogConfiguration()
        configuration.ioBackend = .simulated(disk)
        configuration.segmentSizeBytes = 64 << 10
        configuration.writeGroupBytesMax = 4096 << (random.next() % 3)
        configuration.batchBytesMax = 32 << 10
        configuration.recordBytesMax = 16 << 10
        configuration.compression = random.next() % 2 == 0 ? .none : .zstd
        configuration.checkpointIntervalBytes = max(configuration.writeGroupBytesMax, 8192 << (random.next() % 3))
        // Zero-ahead off, short (the data catches up with the zeroes many times per segment,
        // so power cuts land between zero writes and data), or the default (whole segment).
        configuration.zeroAheadBytes = [0, 4096, 16 << 10, 1 << 20][Int(random.next() % 4)]
        if sequential {
            configuration.durability = .none
            if random.next() % 3 == 0 { configuration.retentionBytesMax = configuration.segmentSizeBytes * (2 + Int(random.next() % 3)) }
        }
        return configuration
    }
}
