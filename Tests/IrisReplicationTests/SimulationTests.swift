#if canImport(Glibc)
import Glibc
#endif
import IrisLog
import IrisReplication
@testable import IrisSimulation
import Testing

/// Seeds for the no-bug sweeps: 20 by default (CI runs 2,000 per size with the release
/// `iris-sim`); raise it with the
/// environment variable IRIS_SIM_SEEDS (e.g. 2000).
let sweepSeedCount: UInt64 = {
    guard let raw = getenv("IRIS_SIM_SEEDS"), let value = UInt64(String(cString: raw)), value > 0 else { return 20 }
    return value
}()
/// A planted bug must be caught within this many seeds.
let plantedBugSeedBound: UInt64 = 2_000

@Suite("Simulator")
struct SimulationTests {
    @Test(arguments: [3, 5])
    func correctProtocolPassesEverySeedWithZeroViolations(replicas: Int) async {
        let summary = await SeedSweep.run(SimulationOptions(replicaCount: replicas, seed: 0), seeds: 0..<sweepSeedCount)
        for failure in summary.failures.prefix(1) {
            Issue.record("seed \(failure.seed): \(failure.violation!)\n\(failure.trace.suffix(40).joined(separator: "\n"))")
        }
        #expect(summary.seedsRun == Int(sweepSeedCount))
        #expect(summary.failures.isEmpty)
        // The runs were not vacuous: faults happened and appends were acknowledged.
        #expect(summary.statistics.crashes > 0)
        #expect(summary.statistics.partitions > 0)
        #expect(summary.statistics.committed > 1_000)
        #expect(summary.statistics.healToCommitMillisecondsMax > 0)
        #expect(summary.statistics.healToCommitMillisecondsMax < 3_000)
        // Crashes inside log operations and storage faults happen in ordinary runs, and every
        // seed still passes (SPEC.md §9.12): each kind occurs about once a seed.
        #expect(summary.statistics.crashesMidOperation > 0)
        #expect(summary.statistics.storageFaults > 0)
    }

    @Test(arguments: PlantedBugs.named.map(\.name))
    func plantedBugIsCaughtWithinTheSeedBound(bugName: String) async throws {
        let bug = try #require(PlantedBugs.named.first { $0.name == bugName }?.bug)
        let summary = await SeedSweep.run(
            SimulationOptions(replicaCount: 3, seed: 0, plantedBugs: bug),
            seeds: 0..<plantedBugSeedBound, stopAtFirstFailure: true)
        let failure = try #require(summary.failures.first, "\(bugName) not caught in \(plantedBugSeedBound) seeds")
        #expect(!failure.trace.isEmpty && failure.trace.count <= 200)
    }

    /// Every planted bug is also caught with the persist-before-send check switched
    /// off, by the safety invariants themselves (one vote per term, durable-majority
    /// commit, committed entries never lost, commit never regresses...): on each seed
    /// pinned in `SafetyOnlyCatch.cases`, a safety invariant (not the storage or shell
    /// checks, not the liveness bound, not a trap) fails with the bug, and the same seed
    /// passes without it.
    @Test(arguments: SafetyOnlyCatch.cases)
    func plantedBugIsCaughtBySafetyInvariantsAlone(_ pinned: SafetyOnlyCatch) async throws {
        let bug = try #require(PlantedBugs.named.first { $0.name == pinned.bugName }?.bug)
        var options = SimulationOptions(replicaCount: pinned.replicas, seed: 0, plantedBugs: bug)
        options.checkDurabilityOrder = false
        var withoutBug = options
        withoutBug.plantedBugs = []
        for seed in pinned.seeds {
            let caught = await SeedSweep.runOne(options, seed: seed)
            let violation = try #require(caught.violation, "seed \(seed) no longer catches \(pinned.bugName): \(pinned.remeasure)")
            #expect(SafetyOnlyCatch.safetyKinds.contains(violation.kind), "seed \(seed): \(violation)")
            if let expectedKind = pinned.expectedKind {
                #expect(violation.kind == expectedKind, "seed \(seed): \(violation); \(pinned.remeasure)")
            }
            let clean = await SeedSweep.runOne(withoutBug, seed: seed)
            #expect(clean.violation == nil, "seed \(seed) fails without \(pinned.bugName)")
            #expect(clean.statistics.committed > 0)
        }
    }

    /// The shell bug "fsync reported but never done" is caught: after a power loss the
    /// recovered log lacks frames the replica had reported durable.
    @Test func skippedLogSyncIsCaughtAfterAPowerLoss() async throws {
        var options = SimulationOptions(replicaCount: 3, seed: 0)
        options.skipLogSync = true
        let summary = await SeedSweep.run(options, seeds: 0..<200, stopAtFirstFailure: true)
        let failure = try #require(summary.failures.first, "a skipped fsync went unnoticed for 200 seeds")
        #expect([.storage, .committedEntryLost, .acknowledgedAppendLost].contains(failure.violation?.kind))
    }

    /// SPEC.md §9.10 rule 1: an append answered `notLeader` must never commit; only the
    /// refused-request check can see that the planted bug lies.
    @Test func appendAnsweredNotLeaderThatCommitsIsCaught() async throws {
        let summary = await SeedSweep.run(
            SimulationOptions(replicaCount: 3, seed: 0, plantedBugs: .notLeaderAfterAppend), seeds: 0..<50, stopAtFirstFailure: true)
        let failure = try #require(summary.failures.first, "an append answered notLeader committed unnoticed")
        #expect(failure.violation?.kind == .refusedAppendCommitted)
    }

    @Test func checkerRejectsARecoveredLogWithFramesThatWereNeverWritten() {
        var written = LogMirror()
        let appended = written.append(Array(chainedFrames(middle: 2).prefix(2)))
        #expect(appended)
        written.synced()
        var recovered = LogMirror()
        let same = recovered.append(Array(chainedFrames(middle: 2).prefix(2)))
        #expect(same)
        var checker = InvariantChecker(replicaCount: 3, checkDurabilityOrder: true)
        checker.checkRecovered(node: 0, written: written, after: recovered)
        #expect(checker.violation == nil)
        // One frame more than was written (a resurrected or invented frame)...
        var longer = LogMirror()
        _ = longer.append(chainedFrames(middle: 2))
        checker.checkRecovered(node: 0, written: written, after: longer)
        #expect(checker.violation?.kind == .storage)
        // ...or a frame past the synced prefix that differs in its bytes.
        var unsynced = LogMirror()
        _ = unsynced.append(chainedFrames(middle: 2))
        var other = LogMirror()
        _ = other.append(Array(chainedFrames(middle: 2).prefix(1)) + [chainedFrames(middle: 7)[1]])
        var byteChecker = InvariantChecker(replicaCount: 3, checkDurabilityOrder: true)
        byteChecker.checkRecovered(node: 0, written: unsynced, after: other)
        #expect(byteChecker.violation?.kind == .storage)
    }

    @Test func voteNotPersistedIsCaughtByThePersistBeforeSendCheck() async {
        let result = await SeedSweep.runOne(SimulationOptions(replicaCount: 3, seed: 0, plantedBugs: .voteNotPersisted), seed: 0)
        #expect(result.violation?.kind == .sentBeforeDurable)
    }

    @Test func sameSeedReplaysIdentically() async {
        let options = SimulationOptions(replicaCount: 5, seed: 0)
        let first = await SeedSweep.runOne(options, seed: 42)
        let second = await SeedSweep.runOne(options, seed: 42)
        #expect(first.statistics == second.statistics)
        #expect(first.statistics.crashes > 0 && first.statistics.committed > 0)
        let other = await SeedSweep.runOne(options, seed: 43)
        #expect(first.statistics != other.statistics)
    }

    /// Three one-record frames chained as a log would hold them, the middle one holding `value`.
    func chainedFrames(middle value: UInt8, term: UInt64 = 1) -> [SealedFrame] {
        var frames: [SealedFrame] = []
        for (index, content) in [[1], [value], [3]].enumerated() {
            frames.append(batch(content).sealed(
                baseOffset: Offset(UInt64(index)), term: Term(term), previousCRC: frames.last?.crc ?? 0))
        }
        return frames
    }

    @Test func checkerRejectsDivergentLogsAndDivergentCommittedPrefixes() throws {
        var checker = InvariantChecker(replicaCount: 3, checkDurabilityOrder: true)
        var mirrors = Array(repeating: LogMirror(), count: 3)
        let appended = mirrors[0].append(chainedFrames(middle: 2)) && mirrors[1].append(chainedFrames(middle: 9))
        #expect(appended)
        checker.observeAppend(node: 0, mirror: mirrors[0], fromFrame: 0)
        #expect(checker.violation == nil)
        checker.observeAppend(node: 1, mirror: mirrors[1], fromFrame: 0)
        #expect(checker.violation?.kind == .logMatching)

        var commitChecker = InvariantChecker(replicaCount: 3, checkDurabilityOrder: true)
        mirrors = Array(repeating: LogMirror(), count: 3)
        for index in 0..<3 {
            let appended = mirrors[index].append(chainedFrames(middle: index == 2 ? 9 : 2))
            #expect(appended)
            mirrors[index].synced()
        }
        commitChecker.observeCommit(node: 0, to: LogEnd(3), mirrors: mirrors)
        #expect(commitChecker.violation == nil)
        commitChecker.observeCommit(node: 2, to: LogEnd(2), mirrors: mirrors)
        #expect(commitChecker.violation?.kind == .committedPrefixDiverged)
    }

    @Test func checkerRejectsACommitThatNoMajorityHoldsDurably() {
        var checker = InvariantChecker(replicaCount: 3, checkDurabilityOrder: true)
        var mirrors = Array(repeating: LogMirror(), count: 3)
        for index in 0..<3 {
            let appended = mirrors[index].append(chainedFrames(middle: 2))
            #expect(appended)
        }
        mirrors[0].synced()  // only the leader's copy is durable
        checker.observeCommit(node: 0, to: LogEnd(3), mirrors: mirrors)
        #expect(checker.violation?.kind == .committedWithoutDurableMajority)
    }

    @Test func checkerRejectsAnAcknowledgementWhoseRecordsDiffer() {
        var checker = InvariantChecker(replicaCount: 3, checkDurabilityOrder: true)
        var mirrors = Array(repeating: LogMirror(), count: 3)
        for index in 0..<3 {
            let appended = mirrors[index].append(chainedFrames(middle: 2))
            #expect(appended)
            mirrors[index].synced()
        }
        checker.observeCommit(node: 0, to: LogEnd(3), mirrors: mirrors)
        checker.observeAcknowledgement(first: Offset(1), values: [[2]])
        #expect(checker.violation == nil)
        checker.observeAcknowledgement(first: Offset(1), values: [[7]])
        #expect(checker.violation?.kind == .acknowledgedAppendLost)
    }

    /// The replicas' logs are IrisLog logs on the simulated disk: a power loss keeps every
    /// synced frame, byte for byte, and at most a prefix of the unsynced ones.
    @Test func powerLossKeepsSyncedFramesOfTheRealLog() async throws {
        for seed in UInt64(0)..<20 {
            let disk = SimulatedDisk()
            let configuration = Simulation.logConfiguration(disk)
            let log = try Log.open(directory: "/log", configuration: configuration, logger: Simulation.quietLogger)
            var mirror = LogMirror()
            var frames: [SealedFrame] = []
            for index in 0..<40 {
                let frame = batch(Array(repeating: UInt8(index), count: index * 7)).sealed(
                    baseOffset: Offset(UInt64(index)), term: Term(1 + UInt64(index / 10)), previousCRC: frames.last?.crc ?? 0)
                frames.append(frame)
                _ = try await log.append(frames: [frame])
                let appended = mirror.append([frame])
                #expect(appended)
                if index == 24 {
                    try await log.sync()
                    mirror.synced()
                }
            }
            disk.powerLoss(seed: seed)
            await log.close()
            let reopened = try Log.open(directory: "/log", configuration: configuration, logger: Simulation.quietLogger)
            let recovered = try LogMirror.reading(reopened)
            await reopened.close()
            #expect(recovered.end >= LogEnd(25))
            #expect(recovered.chainHash(at: LogEnd(25)) == mirror.chainHash(at: LogEnd(25)))
            #expect(recovered.frames.map(\.frame) == Array(frames.prefix(recovered.frames.count)))
        }
    }
}
